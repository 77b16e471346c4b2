// swift-tools-version: 6.1

import PackageDescription

// The framework's own limit for the HTTP serving benchmark: a bare Hummingbird route answering a
// fixed JSON body, driven by the same wrk command as mcp-server (BENCHMARKS.md).
let package = Package(
    name: "bare-route",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "bare-route",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/bare-route",
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
