// swift-tools-version: 6.1

import PackageDescription

// libFuzzer targets, in a nested package (like ../Benchmarks) so that users of the library never
// resolve or build them. One executable per target; each passes its `LLVMFuzzerTestOneInput`
// to libFuzzer's driver, which `-sanitize=fuzzer` links in. Build and run them with `./run.sh`
// (see README.md); a plain `swift build` here does not link.
let package = Package(
    name: "tmws-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tmws-swift", path: "../"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Sources/FuzzSupport"),
        .executableTarget(
            name: "FuzzLicenseKey",
            dependencies: ["FuzzSupport", .product(name: "TMWSLicenseCore", package: "tmws-swift")],
            path: "Sources/FuzzLicenseKey"
        ),
        .executableTarget(
            name: "FuzzAPIKey",
            dependencies: [
                "FuzzSupport",
                .product(name: "TMWSRBAC", package: "tmws-swift"),
                .product(name: "TMWSStorage", package: "tmws-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/FuzzAPIKey"
        ),
        .executableTarget(
            name: "FuzzJSONRPC",
            dependencies: [
                "FuzzSupport",
                .product(name: "TMWSMCPServing", package: "tmws-swift"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            path: "Sources/FuzzJSONRPC"
        ),
        .executableTarget(
            name: "FuzzLicenseToken",
            dependencies: [
                "FuzzSupport",
                .product(name: "TMWSLicenseVerifier", package: "tmws-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/FuzzLicenseToken"
        ),
        .executableTarget(
            name: "FuzzTokenJSON",
            dependencies: ["FuzzSupport", .product(name: "TMWSLicenseVerifier", package: "tmws-swift")],
            path: "Sources/FuzzTokenJSON"
        ),
        // The argument decoder is internal to the TMWSMCPTools target, so this target
        // compiles the decoder's own files through symlinks into ../Sources/MCPTools.
        .executableTarget(
            name: "FuzzToolArguments",
            dependencies: [
                "FuzzSupport",
                .product(name: "TMWSLicenseCore", package: "tmws-swift"),
                .product(name: "TMWSStorage", package: "tmws-swift"),
                .product(name: "TMWSMCPServing", package: "tmws-swift"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            path: "Sources/FuzzToolArguments"
        ),
    ]
)

for target in package.targets where target.name != "CLibFuzzer" {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .swiftLanguageMode(.v6),
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
        ]
}
