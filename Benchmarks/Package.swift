// swift-tools-version: 6.1

import PackageDescription

// A nested package, so that users of the library never resolve benchmark dependencies.
// Run from this directory: `swift package benchmark` (see ../BENCHMARKS.md).
let package = Package(
    name: "tmws-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tmws-swift", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .executableTarget(
            name: "TMWSBenchmarks",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TMWS", package: "tmws-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/TMWSBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The fixtures and the raw-SQLite baseline, shared with the profiling loop.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "TMWS", package: "tmws-swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Sources/BenchmarkFixtures",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A plain validation loop for perf, callgrind and strace (BENCHMARKS.md, "Profiling").
        .executableTarget(
            name: "validation-profile",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "TMWS", package: "tmws-swift"),
                .product(name: "TMWSStoragePostgres", package: "tmws-swift"),
            ],
            path: "Sources/validation-profile",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
