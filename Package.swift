// swift-tools-version: 6.1

import PackageDescription

/// One settings list, applied to every target below.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tmws-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TMWSStorage", targets: ["TMWSStorage"]),
        .library(name: "TMWSRBAC", targets: ["TMWSRBAC"]),
        .library(name: "TMWSLicenseCore", targets: ["TMWSLicenseCore"]),
        .library(name: "TMWS", targets: ["TMWS"]),
        .library(name: "TMWSTestSupport", targets: ["TMWSTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "TMWSStorage",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/Storage"
        ),
        .target(
            name: "TMWSRBAC",
            dependencies: [
                "TMWSStorage",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/RBAC"
        ),
        .target(
            name: "TMWSLicenseCore",
            dependencies: [
                "TMWSStorage",
                "TMWSRBAC",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/LicenseCore"
        ),
        .target(
            name: "TMWS",
            dependencies: ["TMWSStorage", "TMWSRBAC", "TMWSLicenseCore"],
            path: "Sources/TMWS"
        ),
        .target(
            name: "TMWSTestSupport",
            dependencies: ["TMWSStorage"],
            path: "Sources/TestSupport"
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "TMWSStorage",
                "TMWSTestSupport",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RBACTests",
            dependencies: ["TMWSRBAC", "TMWSStorage", "TMWSTestSupport"]
        ),
        .testTarget(
            name: "LicenseCoreTests",
            dependencies: ["TMWSLicenseCore", "TMWSRBAC", "TMWSStorage", "TMWSTestSupport"]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
