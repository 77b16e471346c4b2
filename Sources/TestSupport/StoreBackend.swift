import Foundation
import TMWSStorage
import TMWSStorageConformance

/// The backends every conformance and service test runs against.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case sqliteFile
    case sqliteMemory
    /// A private schema on the PostgreSQL server named by `TMWS_TEST_POSTGRES_URL`.
    case postgres

    public var description: String { rawValue }

    /// Every backend this run can test: PostgreSQL only when `TMWS_TEST_POSTGRES_URL` is set
    /// (`.ci/run` starts a server and sets it).
    public static var allCases: [StoreBackend] {
        PostgresTestSchema.url == nil ? [.memory, .sqliteFile, .sqliteMemory] : [.memory, .sqliteFile, .sqliteMemory, .postgres]
    }

    /// Creates an empty store of this backend, migrated to head.
    ///
    /// PostgreSQL stores live in a schema of their own (see ``PostgresTestSchema``); file databases live in a fresh temporary directory, removed when the returned
    /// ``TemporaryStore`` is released.
    public func makeStore(clock: @escaping @Sendable () -> Date = { Date() }) async throws -> TemporaryStore {
        switch self {
        case .memory:
            return TemporaryStore(store: MemoryStore(clock: clock), directory: nil)
        case .sqliteMemory:
            return TemporaryStore(store: try SQLiteStore(inMemoryWith: .init(), clock: clock), directory: nil)
        case .sqliteFile:
            let directory = try TemporaryDirectory()
            let store = try await SQLiteStore.open(path: directory.path + "/tmws.db", migrate: true, clock: clock)
            return TemporaryStore(store: store, directory: directory)
        case .postgres:
            let schema = try await PostgresTestSchema(clock: clock)
            return TemporaryStore(store: schema.store, directory: nil, postgres: schema)
        }
    }
}

/// A store made for a test, with the temporary directory that holds its files (if any).
public struct TemporaryStore: Sendable {
    public let store: any Store
    public let directory: TemporaryDirectory?
    /// The PostgreSQL schema that holds the store's tables, if any.
    public let postgres: PostgresTestSchema?

    public init(store: any Store, directory: TemporaryDirectory?, postgres: PostgresTestSchema? = nil) {
        self.store = store
        self.directory = directory
        self.postgres = postgres
    }
}

/// A directory under the system's temporary directory, removed on deinit.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/tmws-test-" + UUID().canonicalText
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension StoreBackend {
    /// This backend as the conformance suite makes its stores: a new, empty store per check that
    /// keeps its temporary directory or PostgreSQL schema alive as long as the check runs.
    public var conformanceSubject: StoreConformance.MakeSubject {
        { clock in
            let handle = try await makeStore(clock: clock)
            return StoreConformance.Subject(handle.store, keepingAlive: handle)
        }
    }
}
