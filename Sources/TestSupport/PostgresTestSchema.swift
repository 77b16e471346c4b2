import Foundation
import TMWSStorage
import TMWSStoragePostgres

/// A private PostgreSQL schema for one test, on the server named by `TMWS_TEST_POSTGRES_URL`.
///
/// Each store gets its own schema (`tmws_test_<time>_<random>`, set as its `search_path`), so
/// tests run in parallel on one database without seeing each other's rows. The pool runs until
/// this object is released. Schemas left by earlier runs are dropped after an hour, by the next run.
public final class PostgresTestSchema: Sendable {
    /// The environment variable naming the test server; when it is unset, the PostgreSQL backend
    /// is not among ``StoreBackend/allCases``.
    public static let environmentVariable = "TMWS_TEST_POSTGRES_URL"

    /// The test server's URL, if configured.
    public static var url: String? {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    public let store: PostgresStore
    public let schema: String
    private let pool: Task<Void, Never>

    /// Creates a schema and a store on it, migrated to head unless `migrate` is false.
    public init(clock: (@Sendable () -> Date)?, poolSize: Int = 4, migrate: Bool = true) async throws {
        guard let url = Self.url else {
            throw StorageError(.unavailable, "\(Self.environmentVariable) is not set")
        }
        var configuration = try PostgresStore.Configuration(url: url)
        configuration.poolSize = poolSize
        let now = Int(Date().timeIntervalSince1970)
        let schema = "tmws_test_\(now)_" + UUID().canonicalText.prefix(8)
        try await PostgresStore.withRunning(configuration) { admin in
            try await Self.dropStaleSchemas(admin, olderThan: now - 3600)
            try await admin.executeForTesting("CREATE SCHEMA \(schema)")
        }
        configuration.schema = schema
        let store = PostgresStore(configuration: configuration, clock: clock)
        self.store = store
        self.schema = schema
        self.pool = Task { await store.run() }
        if migrate { try await store.upgradeAllTracks() }
    }

    deinit {
        pool.cancel()
    }

    private static func dropStaleSchemas(_ admin: PostgresStore, olderThan cutoff: Int) async throws {
        for name in try await admin.schemaNamesForTesting(prefix: "tmws_test_") {
            let parts = name.split(separator: "_")
            if parts.count == 4, let created = Int(parts[2]), created < cutoff {
                try? await admin.executeForTesting("DROP SCHEMA IF EXISTS \(name) CASCADE")
            }
        }
    }
}
