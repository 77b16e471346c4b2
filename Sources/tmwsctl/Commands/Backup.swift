import ArgumentParser
import Foundation
import TMWSStorage

/// `tmwsctl backup`: a consistent online backup (SQLite backup API), safe while the server writes.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent, integrity-checked, owner-only backup of the database.",
        discussion: """
            Default file: tmws_backup_YYYYMMDD_HHMMSS.db (UTC) beside the database. Safe while the server runs.
            For a PostgreSQL database, prints the pg_dump command to use instead (exit status 2).
            """)

    @OptionGroup var global: GlobalOptions

    func validate() throws { try global.refuseAgent() }
    @Option(help: ArgumentHelp("The backup file to create (must not exist).", valueName: "file"), completion: .file(extensions: ["db"]))
    var out: String?

    struct Result: Encodable {
        var database: String
        var backup: String
        var revision: String?
        var sizeBytes: Int64
        var integrity: String
    }

    func run() async throws {
        if case .postgres(let url) = try global.location() {
            throw Failure(
                """
                PostgreSQL backups are pg_dump's job (consistent while the servers run). For example:
                  pg_dump --format=custom --file=tmws_backup_$(date -u +%Y%m%d_%H%M%S).dump '\(PostgresCommands.connectionURL(url))'
                (the password comes from PGPASSWORD or ~/.pgpass); restore with pg_restore --clean --if-exists --dbname=URL FILE
                """)
        }
        let path = try global.existingDatabasePath()
        let destination = out ?? SQLiteStore.defaultBackupPath(forDatabase: path, at: Date())
        let store = try SQLiteStore(path: path)
        let report = try await store.backup(to: destination, progress: Self.progressPrinter(enabled: !global.json))
        if global.json {
            return try JSONOutput.print(
                Result(database: path, backup: report.path, revision: report.revision, sizeBytes: report.sizeBytes, integrity: "ok"))
        }
        Console.out("backup written to \(report.path) (\(report.sizeBytes) bytes, revision \(report.revision ?? "none"), integrity ok, mode 0600)")
    }

    /// Progress on standard error for databases of more than 10 MB (at 4 KB pages), on a terminal.
    static func progressPrinter(enabled: Bool) -> (@Sendable (BackupProgress) -> Void)? {
        guard enabled, Console.stderrIsTerminal else { return nil }
        return { progress in
            guard progress.totalPages > 2560 else { return }
            let percent = progress.completedPages * 100 / max(1, progress.totalPages)
            Console.progress("copied \(progress.completedPages)/\(progress.totalPages) pages (\(percent)%)")
            if progress.completedPages == progress.totalPages { Console.error("") }
        }
    }
}
