import Foundation
import GRDB

/// A ``Store`` on SQLite, through GRDB: a `DatabasePool` in WAL mode for files, or a private
/// in-memory SQLite database.
///
/// Connections have foreign keys on and a busy timeout, so concurrent writers (another process
/// such as `tmwsctl`, or the server itself) wait instead of failing. Every write operation is one
/// atomic step inside a `BEGIN IMMEDIATE` transaction on GRDB's writer queue, never on the
/// cooperative thread pool. Steps of concurrent callers share transactions (group commit): each
/// runs in its own savepoint, and each caller is answered only once the shared transaction has
/// committed (see ``Configuration/groupCommitLimit``).
///
/// Opening a store does not migrate it: call ``upgrade(to:)`` (or use ``open(path:configuration:migrate:clock:)``)
/// and check ``currentRevision()``. Operations on a database that is not at the head revision
/// fail with `schemaMismatch`.
///
/// ```swift
/// let store = try await SQLiteStore.open(path: "/var/lib/tmws/tmws.db", migrate: true)
/// let agent = try await store.agent(named: "admin")
/// ```
public final class SQLiteStore: Store {
    /// How hard SQLite works to keep committed transactions across crashes.
    public enum Durability: Sendable, Hashable {
        /// `PRAGMA synchronous = NORMAL` (the default). In WAL mode a committed transaction
        /// survives a crash of the process (`kill -9`); a power loss or OS crash may roll back the
        /// last few commits, but never corrupts the database.
        case normal
        /// `PRAGMA synchronous = FULL`: every commit is synced to disk before it returns, so it
        /// also survives a power loss. Each commit costs a disk flush.
        case full
    }

    /// Settings for opening a SQLite store.
    public struct Configuration: Sendable, Hashable {
        /// The durability of commits. Default: ``Durability/normal``.
        public var durability: Durability = .normal
        /// How long a writer waits for another connection's lock before failing with `unavailable`.
        public var busyTimeout: Duration = .seconds(5)
        /// The most concurrent read connections of a file database.
        public var maximumReaderCount: Int = 4
        /// The most write steps of concurrent callers that one transaction commits together.
        /// A lone step is never delayed to wait for others; `1` commits every step alone.
        public var groupCommitLimit: Int = 64

        public init(
            durability: Durability = .normal, busyTimeout: Duration = .seconds(5), maximumReaderCount: Int = 4,
            groupCommitLimit: Int = 64
        ) {
            self.durability = durability
            self.busyTimeout = busyTimeout
            self.maximumReaderCount = maximumReaderCount
            self.groupCommitLimit = groupCommitLimit
        }
    }

    let writer: any DatabaseWriter
    /// Runs the write steps, committing concurrent ones together.
    let steps: GroupCommitWriter
    let clock: @Sendable () -> Date
    /// The database file, or `nil` for an in-memory database.
    public let path: String?

    /// Opens (creating if needed) a SQLite database file in WAL mode. A new file and a new parent
    /// directory are created with owner-only permissions (0600 and 0700).
    /// - Throws: `unavailable` when the file cannot be created or opened; `corrupt` when it is not a database.
    public init(
        path: String, configuration: Configuration = Configuration(), clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        try Self.prepareFile(at: path)
        do {
            self.writer = try DatabasePool(path: path, configuration: Self.grdbConfiguration(configuration))
        } catch {
            throw Self.map(error)
        }
        self.steps = GroupCommitWriter(writer: writer, limit: configuration.groupCommitLimit, clock: clock)
        self.path = path
        self.clock = clock
    }

    /// Creates a store on a private in-memory SQLite database (lost when the store is released).
    /// The schema is created at the head revision of both tracks.
    public init(inMemoryWith configuration: Configuration = Configuration(), clock: @escaping @Sendable () -> Date = { Date() }) throws {
        do {
            let queue = try DatabaseQueue(configuration: Self.grdbConfiguration(configuration))
            try queue.write { db in try SQLiteSchema.upgradeAll(db) }
            self.writer = queue
        } catch {
            throw Self.map(error)
        }
        self.steps = GroupCommitWriter(writer: writer, limit: configuration.groupCommitLimit, clock: clock)
        self.path = nil
        self.clock = clock
    }

    /// Opens a database file and, when `migrate` is true, upgrades both tracks to their heads;
    /// when `migrate` is false, a database whose seed track is not at head is refused with `schemaMismatch`.
    public static func open(
        path: String, configuration: Configuration = Configuration(), migrate: Bool,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path, configuration: configuration, clock: clock)
        if migrate {
            try await store.upgradeAllTracks()
        } else {
            let revision = try await store.currentRevision()
            guard revision == SQLiteSchema.head else {
                throw StorageError(
                    .schemaMismatch,
                    "the database is at revision \(revision ?? "none (empty)"), not at head \(SQLiteSchema.head); run `tmwsctl migrate up`")
            }
        }
        return store
    }

    /// The transactions this store has committed and how many write steps they held: the
    /// average batch shows how much group commit saves under the current load.
    public var groupCommitStatistics: GroupCommitStatistics { steps.statistics }

    /// Reads from the database and, when the last write failed for a reason outside the step
    /// (a full disk, an I/O error, a read-only file), checks whether writes work again: after a
    /// full disk, the database's filesystem must have at least ``minimumFreeBytesAfterFullDisk``
    /// free (a write small enough to fit in the WAL's spare room would prove nothing), and then a
    /// write of a row that changes nothing must commit.
    /// - Throws: `unavailable` naming the cause while writes keep failing.
    public func ping() async throws {
        try await read { db in _ = try Int.fetchOne(db, sql: "SELECT 1") }
        guard let failure = steps.lastFailure else { return }
        if (failure.underlying as? DatabaseError)?.resultCode == .SQLITE_FULL, let path,
            let free = Self.freeBytes(at: (path as NSString).deletingLastPathComponent), free < Self.minimumFreeBytesAfterFullDisk
        {
            throw StorageError(.unavailable, "writes are failing: \(failure.message) (\(free) bytes free)", underlying: failure)
        }
        do {
            try await write { db, _ in try db.execute(sql: "UPDATE alembic_version SET version_num = version_num") }
        } catch {
            throw StorageError(.unavailable, "writes are failing: \(steps.lastFailure?.message ?? failure.message)", underlying: error)
        }
    }

    /// The free space a filesystem must have again before a store whose disk was full reports
    /// itself healthy: 1 MiB.
    public static let minimumFreeBytesAfterFullDisk: Int64 = 1 << 20

    /// The bytes an unprivileged process may still write on the filesystem holding `directory`.
    static func freeBytes(at directory: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(directory.isEmpty ? "." : directory, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    // MARK: Plumbing

    static func grdbConfiguration(_ configuration: Configuration) -> GRDB.Configuration {
        var config = GRDB.Configuration()
        config.foreignKeysEnabled = true
        let timeout = configuration.busyTimeout.components
        config.busyMode = .timeout(Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18)
        config.maximumReaderCount = max(1, configuration.maximumReaderCount)
        let synchronous = configuration.durability == .full ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Savepoints (one per step of a shared transaction) keep their undo pages in a
            // statement journal; in memory, not in a temporary file (8 → 3 pwrite calls per
            // validation in batches of 16). Our queries build no large temporary tables.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return config
    }

    /// Creates the parent directory (0700) and the file (0600) when they do not exist yet.
    static func prepareFile(at path: String) throws(StorageError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory), let problem = Directories.create(directory) {
            throw StorageError(.unavailable, "\(problem) (for the database \(path))")
        }
        let fd = Foundation.open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else {
            throw StorageError(.unavailable, "cannot open or create the database file \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// Runs `body` as one atomic write step, alone or in a transaction shared with concurrent
    /// steps (``GroupCommitWriter``), with the time read after the lock is held. The result is
    /// returned once the step's transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, Date) throws -> T) async throws(StorageError) -> T {
        try await steps.perform(body)
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction of its own, never shared with other steps:
    /// for schema changes.
    func writeAlone<T: Sendable>(_ body: @escaping @Sendable (Database, Date) throws -> T) async throws(StorageError) -> T {
        let clock = self.clock
        let checkpoints = steps.checkpoints
        do {
            return try await writer.writeWithoutTransaction { db in
                defer { checkpoints.runIfDue(db, idle: true) }
                return try Self.inImmediateTransaction(db) { try body(db, Timestamp.truncated(clock())) }
            }
        } catch {
            throw Self.map(error)
        }
    }

    /// What GRDB's `inTransaction(.immediate)` does, with `BEGIN` and `COMMIT` as cached statements:
    /// GRDB prepares (parses) both anew for every transaction, which cost a few percent of a
    /// validation. As there, an error rolls the transaction back and the first error is thrown,
    /// and a transaction that SQLite aborted on its own (after `SQLITE_FULL` or an I/O error) is
    /// reported as such instead of being committed.
    static func inImmediateTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let result = try body()
            guard db.isInsideTransaction else {
                throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted")
            }
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            throw error
        }
    }

    /// Runs `body` on a read connection (a consistent snapshot).
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StorageError) -> T {
        do {
            return try await writer.read(body)
        } catch {
            throw Self.map(error)
        }
    }

    /// Maps any error to a ``StorageError`` with the code every backend uses.
    static func map(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        if error is CancellationError { return StorageError(.unavailable, "the operation was cancelled", underlying: error) }
        guard let error = error as? DatabaseError else {
            return StorageError(.internalError, "unexpected error from SQLite", underlying: error)
        }
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return StorageError(.notFound, "a row this operation refers to does not exist", underlying: error)
        default: break
        }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT:
            return StorageError(.conflict, "a unique value is already taken", underlying: error)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StorageError(.unavailable, "the database is busy (locked by another connection)", underlying: error)
        case .SQLITE_FULL:
            return StorageError(.unavailable, "the disk is full", underlying: error)
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_NOMEM, .SQLITE_MISUSE:
            return StorageError(.unavailable, "the database cannot be used now (\(error.resultCode))", underlying: error)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StorageError(.corrupt, "the database file is damaged or not a database", underlying: error)
        case .SQLITE_ERROR where (error.message ?? "").contains("no such"):
            return StorageError(
                .schemaMismatch, "the database schema is not at the expected revision; run `tmwsctl migrate up`",
                underlying: error)
        default:
            return StorageError(.internalError, "SQLite failed (\(error.resultCode))", underlying: error)
        }
    }
}
