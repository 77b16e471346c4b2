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
        .library(name: "TMWSStoragePostgres", targets: ["TMWSStoragePostgres"]),
        .library(name: "TMWSMCPServing", targets: ["TMWSMCPServing"]),
        .library(name: "TMWSMCPTools", targets: ["TMWSMCPTools"]),
        .executable(name: "mcp-server", targets: ["mcp-server"]),
        .executable(name: "tmwsctl", targets: ["tmwsctl"]),
        .library(name: "TMWSStorageConformance", targets: ["TMWSStorageConformance"]),
        .library(name: "TMWSTestSupport", targets: ["TMWSTestSupport"]),
        // For apps: verifies signed license tokens offline with a deployment's public keys; jwt-kit only.
        .library(name: "TMWSLicenseVerifier", targets: ["TMWSLicenseVerifier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // `swift package generate-documentation` for the DocC catalogs (Sources/*/Documentation.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // JOSE for license tokens: EdDSA (Ed25519) JWS, JWKS.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // Base64url (jwt-kit's own dependency): table-driven, an order of magnitude faster than
        // Foundation's base64 followed by character replacement.
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
    ],
    targets: [
        .target(
            name: "TMWSStorage",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            path: "Sources/Storage"
        ),
        .target(
            name: "TMWSStoragePostgres",
            dependencies: [
                "TMWSStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/StoragePostgres"
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
            name: "TMWSLicenseVerifier",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                // Already a dependency of jwt-kit's: the verifier still brings nothing beyond jwt-kit.
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            path: "Sources/LicenseVerifier"
        ),
        .target(
            name: "TMWSLicenseCore",
            dependencies: [
                "TMWSStorage",
                "TMWSRBAC",
                "TMWSLicenseVerifier",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/LicenseCore"
        ),
        .target(
            name: "TMWS",
            dependencies: [
                "TMWSStorage", "TMWSRBAC", "TMWSLicenseCore", "TMWSLicenseVerifier", "TMWSStoragePostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/TMWS"
        ),
        .target(
            name: "TMWSMCPServing",
            dependencies: [
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/MCPServing"
        ),
        .target(
            name: "TMWSMCPTools",
            dependencies: [
                "TMWSLicenseCore",
                "TMWSMCPServing",
                "TMWSRBAC",
                "TMWSStorage",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/MCPTools"
        ),
        .executableTarget(
            name: "mcp-server",
            dependencies: [
                "TMWS",
                "TMWSMCPServing",
                "TMWSMCPTools",
                "TMWSLicenseCore",
                "TMWSRBAC",
                "TMWSStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/mcp-server"
        ),
        .executableTarget(
            name: "tmwsctl",
            dependencies: [
                "TMWS",
                "TMWSLicenseCore",
                "TMWSLicenseVerifier",
                "TMWSRBAC",
                "TMWSStorage",
                "TMWSStoragePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/tmwsctl"
        ),
        // The storage contract as checks any `Store` can run (Swift Testing); see StoreConformance.
        .target(
            name: "TMWSStorageConformance",
            dependencies: ["TMWSStorage"],
            path: "Sources/StorageConformance"
        ),
        .target(
            name: "TMWSTestSupport",
            dependencies: ["TMWSStorage", "TMWSStorageConformance", "TMWSStoragePostgres"],
            path: "Sources/TestSupport"
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "TMWSStorage",
                "TMWSStorageConformance",
                "TMWSTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // A store defined outside the four backends, run through the public conformance suite as a
        // user's package would: it depends on the two public products only.
        .testTarget(
            name: "ConformanceExampleTests",
            dependencies: ["TMWSStorage", "TMWSStorageConformance"]
        ),
        .testTarget(
            name: "LicenseVerifierTests",
            dependencies: ["TMWSLicenseVerifier", .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "RBACTests",
            dependencies: ["TMWSRBAC", "TMWSStorage", "TMWSTestSupport"]
        ),
        .testTarget(
            name: "LicenseCoreTests",
            dependencies: [
                "TMWSLicenseCore", "TMWSRBAC", "TMWSStorage", "TMWSStorageConformance", "TMWSTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "MCPServingTests",
            dependencies: [
                "TMWSMCPServing",
                "TMWSTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "MCPToolsTests",
            dependencies: [
                "TMWSMCPTools", "TMWSMCPServing", "TMWSLicenseCore", "TMWSRBAC", "TMWSStorage", "TMWSStorageConformance",
                "TMWSTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        .testTarget(
            name: "tmwsctlTests",
            dependencies: [
                "tmwsctl", "TMWS", "TMWSLicenseCore", "TMWSRBAC", "TMWSStorage", "TMWSTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
