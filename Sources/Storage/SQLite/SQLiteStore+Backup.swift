import Foundation
import GRDB

/// How far an online backup or a restore has got, in database pages.
public struct BackupProgress: Sendable, Hashable {
    /// Pages copied so far.
    public let completedPages: Int
    /// Pages in the source database.
    public let totalPages: Int

    public init(completedPages: Int, totalPages: Int) {
        self.completedPages = completedPages
        self.totalPages = totalPages
    }
}

/// What an inspection of a database file found: its revision and whether SQLite's
/// `PRAGMA integrity_check` passed.
public struct DatabaseFileReport: Sendable, Hashable {
    /// The file inspected.
    public let path: String
    /// The `alembic_version` revision, or `nil` when the file holds no TMWS schema.
    public let revision: String?
    /// The problems `PRAGMA integrity_check` reported; empty when the file is intact.
    public let problems: [String]
    /// The file's size in bytes.
    public let sizeBytes: Int64

    /// Whether the integrity check passed.
    public var isIntact: Bool { problems.isEmpty }
}

/// The outcome of ``SQLiteStore/restore(from:to:replacing:keepReplacedAt:progress:clock:)``.
public struct RestoreReport: Sendable, Hashable {
    /// The verified backup that was restored.
    public let source: DatabaseFileReport
    /// The database that now holds the backup's content.
    public let databasePath: String
    /// Where the replaced database was kept (a verified backup of it), when there was one.
    public let replacedKeptAt: String?
}

extension SQLiteStore {
    /// The default name of a backup: `tmws_backup_YYYYMMDD_HHMMSS.db` (UTC) beside the database,
    /// as in the deployment guide. `prefix` replaces `tmws_backup`.
    public static func defaultBackupPath(forDatabase path: String, at date: Date, prefix: String = "tmws_backup") -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        let stamp = "\(c.year ?? 0)\(two(c.month))\(two(c.day))_\(two(c.hour))\(two(c.minute))\(two(c.second))"
        let directory = (path as NSString).deletingLastPathComponent
        return (directory.isEmpty ? "" : directory + "/") + "\(prefix)_\(stamp).db"
    }

    /// Writes a consistent copy of the database to a new file with SQLite's online backup API.
    ///
    /// Safe while other connections (the server) write: the copy is the snapshot of one read
    /// transaction. The file is created owner-only (0600), switched to a self-contained rollback
    /// journal, and integrity-checked before this returns; a failed backup leaves no file behind.
    /// - Parameters:
    ///   - destination: the new file; it must not exist.
    ///   - pagesPerStep: pages copied per step (between progress reports).
    ///   - progress: called after every step.
    /// - Returns: the verified report of the new file.
    /// - Throws: `conflict` when `destination` exists; `unavailable` when it cannot be written;
    ///   `corrupt` when the copy fails its integrity check.
    @discardableResult
    public func backup(
        to destination: String, pagesPerStep: Int = 1024, progress: (@Sendable (BackupProgress) -> Void)? = nil
    ) async throws -> DatabaseFileReport {
        try Self.createExclusively(destination)
        let writer = self.writer
        do {
            try await Self.offThreadPool {
                let target = try DatabaseQueue(path: destination)
                try writer.backup(to: target, pagesPerStep: CInt(clamping: max(1, pagesPerStep))) { step in
                    progress?(BackupProgress(completedPages: step.completedPageCount, totalPages: step.totalPageCount))
                }
                try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
                try target.close()
            }
            let report = try await Self.inspectDatabaseFile(at: destination)
            guard report.isIntact else {
                throw StorageError(.corrupt, "the backup failed its integrity check: \(report.problems.prefix(3).joined(separator: "; "))")
            }
            return report
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(destination + suffix) }
            let mapped = Self.map(error)
            guard mapped.code == .unavailable else { throw mapped }
            throw StorageError(.unavailable, "cannot write the backup \(destination): \(mapped.message)", underlying: error)
        }
    }

    /// Opens a database file read-only and runs `PRAGMA integrity_check` and a revision check.
    /// - Throws: `notFound` when there is no such file; `corrupt` when it is not a SQLite database;
    ///   `schemaMismatch` when its revision is unknown to this code.
    public static func inspectDatabaseFile(at path: String) async throws -> DatabaseFileReport {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw StorageError(.notFound, "no file at \(path)")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        do {
            return try await offThreadPool {
                var configuration = GRDB.Configuration()
                configuration.readonly = true
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                defer { try? queue.close() }
                return try queue.read { db in
                    let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
                    let revision = try SQLiteSchema.currentRevision(db)
                    return DatabaseFileReport(path: path, revision: revision, problems: problems, sizeBytes: size)
                }
            }
        } catch {
            throw map(error)
        }
    }

    /// The problems `PRAGMA integrity_check` reports on this store's database; empty when intact.
    public func integrityProblems() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" } }
    }

    /// Replaces a database's content with a verified backup, through SQLite's backup API (so that
    /// the WAL and other connections stay consistent).
    ///
    /// The backup is inspected first and refused unless it is intact and holds a TMWS schema.
    /// An existing database is replaced only when `replacing` is true, and is first kept as a
    /// verified backup at `keepReplacedAt` (default: `tmws_pre_restore_YYYYMMDD_HHMMSS.db` beside it).
    /// Nothing is changed when any check fails.
    /// - Throws: `notFound` (no backup file), `corrupt` (damaged or not a TMWS database),
    ///   `schemaMismatch` (a revision unknown to this code), `conflict` (a database exists and
    ///   `replacing` is false, or the keep path exists), `unavailable`.
    public static func restore(
        from backupPath: String, to databasePath: String, replacing: Bool, keepReplacedAt: String? = nil,
        progress: (@Sendable (BackupProgress) -> Void)? = nil, clock: @Sendable () -> Date = { Date() }
    ) async throws -> RestoreReport {
        let source = try await inspectDatabaseFile(at: backupPath)
        guard source.isIntact else {
            throw StorageError(.corrupt, "\(backupPath) failed its integrity check: \(source.problems.prefix(3).joined(separator: "; "))")
        }
        guard source.revision != nil else {
            throw StorageError(.corrupt, "\(backupPath) is not a TMWS database (it has no alembic_version revision)")
        }
        let resolvedSource = URL(fileURLWithPath: backupPath).resolvingSymlinksInPath().path
        let resolvedTarget = URL(fileURLWithPath: databasePath).resolvingSymlinksInPath().path
        guard resolvedSource != resolvedTarget else {
            throw StorageError(.invalidArgument, "the backup and the database are the same file")
        }
        let exists = ((try? FileManager.default.attributesOfItem(atPath: databasePath)[.size] as? NSNumber)?.int64Value ?? 0) > 0
        if exists, !replacing {
            throw StorageError(.conflict, "a database already exists at \(databasePath)")
        }
        let store = try SQLiteStore(path: databasePath)
        var kept: String?
        if exists {
            let keep = keepReplacedAt ?? defaultBackupPath(forDatabase: databasePath, at: clock(), prefix: "tmws_pre_restore")
            try await store.backup(to: keep)
            kept = keep
        }
        let writer = store.writer
        do {
            try await offThreadPool {
                var configuration = GRDB.Configuration()
                configuration.readonly = true
                let queue = try DatabaseQueue(path: backupPath, configuration: configuration)
                defer { try? queue.close() }
                try queue.backup(to: writer, pagesPerStep: 1024) { step in
                    progress?(BackupProgress(completedPages: step.completedPageCount, totalPages: step.totalPageCount))
                }
            }
        } catch {
            throw map(error)
        }
        let problems = try await store.integrityProblems()
        guard problems.isEmpty else {
            throw StorageError(.corrupt, "the restored database failed its integrity check; the replaced one is kept at \(kept ?? "-")")
        }
        return RestoreReport(source: source, databasePath: databasePath, replacedKeptAt: kept)
    }

    /// Creates an empty file with owner-only permissions, failing when it exists.
    static func createExclusively(_ path: String) throws(StorageError) {
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw StorageError(.conflict, "\(path) already exists") }
            throw StorageError(.unavailable, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// Runs blocking SQLite work on a dispatch queue, off the cooperative thread pool.
    static func offThreadPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
