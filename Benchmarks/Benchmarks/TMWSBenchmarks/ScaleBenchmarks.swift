import Benchmark
import BenchmarkFixtures
import Foundation
import TMWS

/// The opt-in scale run: validation and history pages on a database made by
/// `Benchmarks/scale/generate.py`, named by `TMWS_BENCH_SCALE_DIR` (skipped when unset). Run once
/// on a 1,000-license database and once on a 1,000,000-license / 10,000,000-row one, and compare.
/// `TMWS_BENCH_LONG=1` adds the resident-memory check over 1,000,000 validations.
enum ScaleBenchmarks {
    struct Sidecar: Decodable {
        let api_key: String
        let license_key: String
        let license_id: String
    }

    static let directory = ProcessInfo.processInfo.environment["TMWS_BENCH_SCALE_DIR"]

    static func fixture() async throws -> Fixture {
        try await Fixtures.shared.get("scale") {
            let directory = try Self.directory ?? { throw CancellationError() }()
            let sidecar = try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/fixture.json")))
            let store = try await SQLiteStore.open(path: directory + "/tmws.db", migrate: false)
            let secret = try SigningSecret.load(fromFile: directory + "/tmws_secret.key")
            let service = LicenseService(store: store, signer: LicenseSigner(secret: secret))
            let authenticator = APIKeyAuthenticator(store: store)
            let admin = try await authenticator.authenticate(sidecar.api_key)
            return Fixture(
                store: store, service: service, authenticator: authenticator, admin: admin, viewer: admin,
                viewerKey: sidecar.api_key, key: sidecar.license_key, licenseID: UUID(canonicalText: sidecar.license_id)!,
                directory: directory)
        }
    }

    static func register() {
        let skip = directory == nil
        let io = Benchmark.Configuration(
            metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3),
            maxIterations: 30, skip: skip)
        let pages = Benchmark.Configuration(
            metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 2000, skip: skip)

        Benchmark("Scale: full validation", configuration: io) { benchmark in
            let fixture = try await fixture()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try await fixture.validateOnce()) }
        }
        Benchmark("Scale: usage history first page of 100", configuration: pages) { benchmark in
            let fixture = try await fixture()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await fixture.store.usageHistory(licenseID: fixture.licenseID, page: PageRequest(limit: 100)))
            }
        }
        Benchmark("Scale: usage history page 100,000 rows deep", configuration: pages) { benchmark in
            let fixture = try await fixture()
            var cursor: String?
            for _ in 0..<999 {
                cursor = try await fixture.store.usageHistory(licenseID: fixture.licenseID, page: PageRequest(limit: 100, cursor: cursor)).nextCursor
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await fixture.store.usageHistory(licenseID: fixture.licenseID, page: PageRequest(limit: 100, cursor: cursor)))
            }
        }

        let long = ProcessInfo.processInfo.environment["TMWS_BENCH_LONG"] == nil
        Benchmark(
            "1,000,000 validations: resident memory growth (SQLite file)",
            configuration: .init(
                metrics: [.peakMemoryResidentDelta, .wallClock], scalingFactor: .one, maxDuration: .seconds(3600),
                maxIterations: 1, skip: long)
        ) { benchmark in
            let fixture = try await Fixtures.shared.sqlite()
            for _ in 0..<1_000 { blackHole(try await fixture.validateOnce()) }  // warm caches first
            benchmark.startMeasurement()
            for _ in 0..<1_000_000 { blackHole(try await fixture.validateOnce()) }
        }
    }
}
