import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TMWSStorage

/// A `Store` on PostgreSQL, for several server instances sharing one database.
///
/// Connections come from a pool (postgres-nio's `PostgresClient`), which serves requests only
/// while ``run()`` runs: add the store to your `ServiceGroup`, or use
/// ``withRunning(_:clock:logger:body:)`` for a short-lived job. Every operation is one
/// transaction; the operations that read, decide and write (``recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)``,
/// ``revokeLicense(id:reason:revokedBy:audit:)``) lock the license row (`SELECT … FOR UPDATE`)
/// before they read the time, so across any number of servers a revocation and a validation are
/// ordered, no `validation_count` increment is lost, and no VALID row is dated after a revocation.
///
/// Time is the database server's (`clock_timestamp()`, to the millisecond) unless a clock is
/// injected, so servers whose clocks disagree still record one consistent order.
///
/// Opening a store does not migrate it; see ``upgrade(to:)`` and ``currentRevision()``.
///
/// ```swift
/// let store = try PostgresStore(configuration: .init(url: "postgres://tmws@db.internal/tmws"))
/// try await ServiceGroup(services: [store, server], logger: logger).run()
/// ```
public final class PostgresStore: Store, Service {
    let client: PostgresClient
    let clock: (@Sendable () -> Date)?
    let logger: Logger
    /// Where the store connects, without the password.
    public let configuration: Configuration
    /// Operations issued before ``run()`` starts wait here instead of reaching a pool that is not
    /// running yet (which works, but makes postgres-nio log a warning).
    private let started = Mutex<(isRunning: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Creates a store. No connection is made until ``run()`` runs and an operation needs one.
    /// - Parameters:
    ///   - configuration: where the server is and how the pool behaves.
    ///   - clock: the time source for timestamps; `nil` (the default) uses the database server's clock.
    ///   - logger: receives the pool's background messages (connection failures) at their levels.
    public init(configuration: Configuration, clock: (@Sendable () -> Date)? = nil, logger: Logger = Logger(label: "tmws.postgres")) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
    }

    /// Runs the connection pool until the task is cancelled or the service group shuts down.
    /// The pool ends on graceful shutdown; list the store before the services that use it, so
    /// that the group shuts it down after them.
    public func run() async {
        let waiters = started.withLock { state in
            state.isRunning = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
        await client.run()
    }

    private func untilRunning() async {
        if started.withLock({ $0.isRunning }) { return }
        await withCheckedContinuation { continuation in
            let resumeNow = started.withLock { state in
                if state.isRunning { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Runs the pool for the duration of `body` — for command-line tools and tests.
    public static func withRunning<T: Sendable>(
        _ configuration: Configuration, clock: (@Sendable () -> Date)? = nil, logger: Logger = Logger(label: "tmws.postgres"),
        body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let store = PostgresStore(configuration: configuration, clock: clock, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// Opens one connection of its own and runs `SELECT 1`, so that a wrong URL or password or an
    /// unreachable server is reported at once with its cause — the pool retries quietly for up to
    /// a minute before its operations fail. The executables call it before serving.
    /// - Throws: `StorageError` `unavailable` (with the SQLSTATE for a refusal by the server).
    public func checkConnection() async throws(StorageError) {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: configuration.connectionConfiguration(), id: 0, logger: logger)
            do {
                _ = try await connection.query("SELECT 1", logger: logger).collect()
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch {
            throw Self.map(error)
        }
    }

    /// Answers within ``pingTimeout``: health checks must not wait for the pool's reconnection attempts.
    public func ping() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await self.run { connection in try await connection.query("SELECT 1", logger: self.logger).collect() }
            }
            group.addTask {
                try await Task.sleep(for: Self.pingTimeout)
                throw StorageError(.unavailable, "PostgreSQL did not answer within \(Self.pingTimeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// How long ``ping()`` waits for an answer.
    public static let pingTimeout: Duration = .seconds(3)

    // MARK: Plumbing

    /// Runs `body` on a pooled connection, outside a transaction (single statements).
    func run<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StorageError) -> T {
        await untilRunning()
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.map(error)
        }
    }

    /// Runs `body` in one transaction (READ COMMITTED), retrying a few times when PostgreSQL
    /// reports a serialization failure or a deadlock: the bodies are pure apart from their
    /// statements, so running one again is safe.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StorageError) -> T {
        await untilRunning()
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch {
                let mapped = Self.map(error)
                guard attempt < 4, Self.isRetryable(error) else { throw mapped }
            }
        }
    }

    /// The time for a write: the injected clock, or the database server's clock to the millisecond.
    func now(_ connection: PostgresConnection) async throws -> Date {
        if let clock { return Timestamp.truncated(clock()) }
        let rows = try await connection.query("SELECT date_trunc('milliseconds', clock_timestamp())", logger: logger)
        for try await timestamp in rows.decode(PostgresTimestamp.self) { return timestamp.date }
        throw StorageError(.internalError, "PostgreSQL returned no time")
    }

    /// The rows of a query, each read by `transform`.
    func fetch<T>(
        _ connection: PostgresConnection, _ query: PostgresQuery, _ transform: (inout PostgresRowReader) throws -> T
    ) async throws -> [T] {
        var result: [T] = []
        for try await row in try await connection.query(query, logger: logger) {
            var reader = PostgresRowReader(row)
            result.append(try transform(&reader))
        }
        return result
    }

    /// The first row of a query, read by `transform`, or `nil`.
    func fetchOne<T>(
        _ connection: PostgresConnection, _ query: PostgresQuery, _ transform: (inout PostgresRowReader) throws -> T
    ) async throws -> T? {
        try await fetch(connection, query, transform).first
    }

    /// Runs a statement, discarding any rows it returns.
    func execute(_ connection: PostgresConnection, _ query: PostgresQuery) async throws {
        _ = try await connection.query(query, logger: logger).collect()
    }
}
