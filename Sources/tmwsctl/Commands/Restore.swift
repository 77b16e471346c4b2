import ArgumentParser
import Foundation
import TMWSStorage

/// `tmwsctl restore FILE`: puts a verified backup back, keeping the replaced database as a backup.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore the database from a backup file.",
        discussion: """
            The file is integrity-checked first. An existing database is replaced only with --force, and is
            first kept as tmws_pre_restore_YYYYMMDD_HHMMSS.db beside it. Stop the server before restoring.
            """)

    @OptionGroup var global: GlobalOptions

    func validate() throws { try global.refuseAgent() }
    @Argument(help: ArgumentHelp("The backup file.", valueName: "file"), completion: .file(extensions: ["db"]))
    var file: String
    @Flag(help: "Replace an existing database (it is kept as a backup first).") var force = false

    struct Result: Encodable {
        var database: String
        var restoredFrom: String
        var revision: String?
        var replacedKeptAt: String?
    }

    func run() async throws {
        let path: String
        switch try global.location() {
        case .sqliteFile(let file): path = file
        case .memory: throw Failure("restore needs a database file, not :memory:; pass --db PATH")
        case .postgres(let url):
            throw Failure(
                """
                PostgreSQL restores are pg_restore's job. Stop the servers, then for example:
                  pg_restore --clean --if-exists --dbname='\(PostgresCommands.connectionURL(url))' \(file)
                (the password comes from PGPASSWORD or ~/.pgpass)
                """)
        }
        guard FileManager.default.fileExists(atPath: file) else {
            throw Failure("no backup file at \(file); list backups with `ls \((path as NSString).deletingLastPathComponent)`")
        }
        let report: RestoreReport
        do {
            report = try await SQLiteStore.restore(
                from: file, to: path, replacing: force, progress: Backup.progressPrinter(enabled: !global.json))
        } catch let error as StorageError where error.code == .conflict && !force {
            throw Failure("a database exists at \(path); pass --force to replace it (it is kept as a backup first)")
        } catch let error as StorageError where error.code == .corrupt {
            throw Failure("\(error.message); nothing was changed")
        }
        if global.json {
            return try JSONOutput.print(
                Result(database: path, restoredFrom: file, revision: report.source.revision, replacedKeptAt: report.replacedKeptAt))
        }
        if let kept = report.replacedKeptAt { Console.out("the replaced database was kept at \(kept)") }
        Console.out("restored \(path) from \(file) (revision \(report.source.revision.map { Migrate.label($0) } ?? "none"))")
    }
}
