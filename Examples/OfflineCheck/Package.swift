// swift-tools-version: 6.1

import PackageDescription

// An app that checks a TMWS license offline: it needs only the TMWSLicenseVerifier product
// (jwt-kit underneath), none of the server's storage, HTTP or MCP code.
let package = Package(
    name: "offline-check",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tmws-swift", path: "../..")],
    targets: [
        .executableTarget(
            name: "offline-check",
            dependencies: [.product(name: "TMWSLicenseVerifier", package: "tmws-swift")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
