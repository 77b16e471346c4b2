import Logging
import ServiceLifecycle
import TMWSLicenseCore
import TMWSStorage
import TMWSStoragePostgres

/// Opening a deployment for any `DatabaseLocation`, PostgreSQL included: scoped for
/// commands (``Deployment/withOpened(_:_:)``), as services for servers (``Deployment/Resources``).
/// The one entry both executables use.
///
/// `TMWSLicenseCore` knows SQLite and memory only (it must build without a PostgreSQL driver);
/// this umbrella module adds the PostgreSQL pool: started (after one direct connection has shown
/// the server reachable and the credentials good) before the body runs, and stopped — its
/// connections closed — after the body returns or throws.
extension Deployment {
    /// Opens (and on first run, bootstraps) the deployment `options` name, runs `body` with it, and
    /// closes what was opened for it.
    public static func withOpened<Result>(_ options: Options, _ body: (Deployment) async throws -> Result) async throws -> Result {
        try await withStore(for: options) { options in try await body(try await Deployment.open(options)) }
    }

    /// The store at `location` for schema commands (migrate, verify), without bootstrap or the
    /// head-revision check, for the duration of `body`.
    /// - Throws: `ConfigurationError` for `:memory:` or a SQLite file that does not exist.
    public static func withSchemaStore<Result>(
        at location: DatabaseLocation, logger: Logger = Logger(label: "tmws"),
        _ body: (any Store & SchemaMigrating & SchemaVerifying) async throws -> Result
    ) async throws -> Result {
        switch location {
        case .memory:
            throw ConfigurationError(.unsupportedLocation, "schema commands need a database file or PostgreSQL, not :memory:")
        case .sqliteFile(let path):
            guard databaseExists(at: path) else { throw ConfigurationError(.missingDatabase, "no database at \(path); create one with `tmwsctl init`") }
            return try await body(try SQLiteStore(path: path))
        case .postgres(let url):
            return try await withPostgres(url: url, logger: logger, body)
        }
    }

    /// `options` with a running PostgreSQL store when its location is one, for `body`.
    static func withStore<Result>(for options: Options, _ body: (Options) async throws -> Result) async throws -> Result {
        guard case .postgres(let url) = options.location, options.externalStore == nil else { return try await body(options) }
        return try await withPostgres(url: url, logger: options.logger) { store in
            var options = options
            options.externalStore = store
            return try await body(options)
        }
    }

    /// The PostgreSQL store for `url`, its pool not started.
    static func postgresStore(url: String, logger: Logger) throws -> PostgresStore {
        PostgresStore(configuration: try PostgresStore.Configuration(url: url), logger: logger)
    }

    /// A PostgreSQL store whose pool runs while `body` does.
    static func withPostgres<Result>(
        url: String, logger: Logger, _ body: (PostgresStore) async throws -> Result
    ) async throws -> Result {
        let store = try postgresStore(url: url, logger: logger)
        try await store.checkConnection()
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await store.run() }
            do {
                let result = try await body(store)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

extension Deployment {
    /// What a server's deployment needs running beside it, for a service group: for PostgreSQL, the
    /// connection pool (a `Service`; list it first, so that it shuts down last); nothing otherwise.
    /// Open the deployment with ``open()`` once the services run.
    public struct Resources: Sendable {
        /// The options, with the PostgreSQL store in place when the location is one.
        public let options: Options
        /// The services to run for the deployment's lifetime.
        public let services: [any Service]
        private let postgres: PostgresStore?

        /// - Throws: `ConfigurationError` for a malformed PostgreSQL URL.
        public init(_ options: Options) throws {
            guard case .postgres(let url) = options.location, options.externalStore == nil else {
                self.options = options
                services = []
                postgres = nil
                return
            }
            let store = try Deployment.postgresStore(url: url, logger: options.logger)
            var options = options
            options.externalStore = store
            self.options = options
            services = [store]
            postgres = store
        }

        /// Opens (and on first run, bootstraps) the deployment; call it from a service of the same
        /// group, once ``services`` run. A PostgreSQL server is first reached directly, so that a wrong
        /// address or credential is one clear error rather than a pool retrying.
        public func open() async throws -> Deployment {
            try await postgres?.checkConnection()
            return try await Deployment.open(options)
        }
    }
}
