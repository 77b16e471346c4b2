import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSStorage

/// `tmwsctl migrate`: the schema revisions (what `alembic` did in the Python deployment).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show and change the schema revision.",
        subcommands: [Status.self, Up.self, Down.self, History.self])

    struct RevisionResult: Encodable {
        var revision: String?
        var head: String
        var isHead: Bool
        var applied: [String]?
        var undone: [String]?
    }

    static func label(_ revision: String?) -> String {
        guard let revision else { return "none (empty database)" }
        return revision == SchemaRevision.head ? "\(revision) (head)" : revision
    }

    static func revision(_ text: String) throws -> String? {
        if text == "base" { return nil }
        guard SchemaRevision.named(text) != nil else {
            throw ValidationError(
                "unknown revision '\(text.prefix(40))'; use one of \(SchemaRevision.all.map(\.id).joined(separator: ", ")) or base")
        }
        return text
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the current revision, e.g. `571948cc671b (head)`.")
        @OptionGroup var global: GlobalOptions

        func validate() throws { try global.refuseAgent() }

        func run() async throws {
            let revision = try await global.withMigratingStore { try await $0.currentRevision() }
            if global.json {
                return try JSONOutput.print(RevisionResult(revision: revision, head: SchemaRevision.head, isHead: revision == SchemaRevision.head))
            }
            Console.out(Migrate.label(revision))
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upgrade the schema (default: to head).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("to"), help: ArgumentHelp("The revision to upgrade to.", valueName: "rev"))
        var target: String = SchemaRevision.head

        func validate() throws {
            try global.refuseAgent()
            _ = try Migrate.revision(target)
        }

        func run() async throws {
            guard let target = try Migrate.revision(target) else { throw ValidationError("`base` is not an upgrade target") }
            try await global.withMigratingStore { store in
                let applied = try await store.upgrade(to: target)
                let revision = try await store.currentRevision()
                if global.json {
                    return try JSONOutput.print(
                        RevisionResult(revision: revision, head: SchemaRevision.head, isHead: revision == SchemaRevision.head, applied: applied.map(\.id)))
                }
                for step in applied { Console.out("Running upgrade \(step.downRevision ?? "<base>") -> \(step.id), \(step.message)") }
                if applied.isEmpty { Console.out("already at \(Migrate.label(revision)); nothing to do") }
                Console.out("now at \(Migrate.label(revision))")
                if revision == SchemaRevision.head, try await store.allAgents(matching: AgentFilter(role: "admin", status: .active)).isEmpty {
                    Console.error(
                        "note: no agent has the admin role (the RBAC revision makes every agent a viewer); run `tmwsctl init` to give the bootstrap admin its role back"
                    )
                }
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Downgrade the schema (default: one step).",
            discussion: """
                Each step removes exactly what it added and keeps every other table, column and row. Before
                anything changes, it prints what the downgrade removes with the rows in it, warns when another
                process (a running server) has the database open, and, when a removed table or column holds
                rows, writes a backup beside a SQLite database (for PostgreSQL, take a pg_dump and pass
                --no-backup). Going below the base revision (an empty database) needs --to-empty. Asks for
                confirmation on a terminal; otherwise pass --yes.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many steps to go down.") var steps: Int?
        @Option(name: .customLong("to"), help: ArgumentHelp("The revision to go down to (or `base`).", valueName: "rev"))
        var target: String?
        @Flag(help: "Allow going below the base revision: every table is removed.") var toEmpty = false
        @Flag(help: "Do not write a backup first (you have one).") var noBackup = false
        @Flag(help: "Do not ask for confirmation.") var yes = false

        struct Removed: Encodable {
            var object: String
            var rows: Int
        }

        struct Result: Encodable {
            var revision: String?
            var head: String
            var isHead: Bool
            var undone: [String]
            var removed: [Removed]
            var backup: String?
        }

        func validate() throws {
            try global.refuseAgent()
            if steps != nil, target != nil { throw ValidationError("pass either --steps or --to, not both") }
            if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
            if let target { _ = try Migrate.revision(target) }
        }

        func run() async throws {
            let location = try global.location()
            try await global.withMigratingStore { store in
                let current = try await store.currentRevision()
                let position = try SchemaRevision.position(of: current)
                let goal: Int
                if let target {
                    let revision = try Migrate.revision(target)
                    goal = try SchemaRevision.position(of: revision)
                    guard goal <= position else { throw Failure("\(target) is newer than the current revision \(Migrate.label(current))") }
                } else {
                    goal = max(0, position - (steps ?? 1))
                }
                if position == 0 { throw Failure("the database is empty (no revision); there is nothing to downgrade") }
                if goal == 0, !toEmpty {
                    throw Failure(
                        "going below the base revision \(SchemaRevision.all[0].id) removes every table and every row; "
                            + "pass --to-empty to confirm (and take a `tmwsctl backup` first)")
                }
                guard goal < position else {
                    if global.json {
                        return try JSONOutput.print(
                            Result(
                                revision: current, head: SchemaRevision.head, isHead: current == SchemaRevision.head, undone: [], removed: [],
                                backup: nil))
                    }
                    return Console.out("already at \(Migrate.label(current)); nothing to do")
                }
                let undone = Array(SchemaRevision.all[goal..<position].reversed())
                var removed: [Removed] = []
                for object in undone.flatMap(\.removedByDowngrade) {
                    removed.append(Removed(object: object.description, rows: try await store.rowCount(of: object.table) ?? 0))
                }
                let goalLabel = Migrate.label(goal == 0 ? nil : SchemaRevision.all[goal - 1].id)
                let plan = removed.map { "\($0.object) (\($0.rows) row\($0.rows == 1 ? "" : "s"))" }.joined(separator: ", ")
                Console.error("downgrading from \(Migrate.label(current)) to \(goalLabel) removes: \(plan)")
                if case .sqliteFile(let path) = location {
                    for holder in OpenFileProbe.holders(of: path) {
                        Console.error(
                            "warning: the database is open in process \(holder.pid) (\(holder.command)); a server running on it "
                                + "answers UNAVAILABLE once its schema is gone: stop it first")
                    }
                }
                if !yes {
                    guard Console.stdinIsTerminal else {
                        throw Failure("downgrading removes schema (and the rows in removed tables); re-run with --yes to confirm")
                    }
                    guard Console.confirm("Downgrade \(global.database ?? "the database") from \(Migrate.label(current)) to \(goalLabel)?") else {
                        throw Failure("downgrade cancelled; nothing changed")
                    }
                }
                var backup: String?
                if removed.contains(where: { $0.rows > 0 }), !noBackup {
                    switch location {
                    case .sqliteFile(let path):
                        guard let sqlite = store as? SQLiteStore else { throw Failure("cannot back up this database; pass --no-backup") }
                        let report = try await sqlite.backup(
                            to: SQLiteStore.defaultBackupPath(forDatabase: path, at: Date()), progress: Backup.progressPrinter(enabled: !global.json))
                        backup = report.path
                        Console.error("backup written to \(report.path) before the downgrade (restore with `tmwsctl restore`)")
                    case .postgres(let url):
                        throw Failure(
                            "the downgrade removes rows: take a backup first, e.g. pg_dump --format=custom --file=tmws_pre_downgrade.dump "
                                + "'\(PostgresCommands.connectionURL(url))', then re-run with --no-backup")
                    default:
                        break
                    }
                }
                _ = try await store.downgrade(to: goal == 0 ? nil : SchemaRevision.all[goal - 1].id)
                let revision = try await store.currentRevision()
                if global.json {
                    return try JSONOutput.print(
                        Result(
                            revision: revision, head: SchemaRevision.head, isHead: revision == SchemaRevision.head, undone: undone.map(\.id),
                            removed: removed, backup: backup))
                }
                for step in undone { Console.out("Running downgrade \(step.id) -> \(step.downRevision ?? "<base>"), \(step.message)") }
                Console.out("now at \(Migrate.label(revision))")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every revision, newest first, marking the current one.")
        @OptionGroup var global: GlobalOptions

        func validate() throws { try global.refuseAgent() }

        struct Entry: Encodable {
            var id: String
            var downRevision: String?
            var message: String
            var isHead: Bool
            var isCurrent: Bool
        }

        func run() async throws {
            let current: String? =
                switch try global.location() {
                case .sqliteFile(let path) where Deployment.databaseExists(at: path): try await SQLiteStore(path: path).currentRevision()
                case .postgres: try await global.withMigratingStore { try await $0.currentRevision() }
                default: nil
                }
            let entries = SchemaRevision.all.reversed().map {
                Entry(id: $0.id, downRevision: $0.downRevision, message: $0.message, isHead: $0.id == SchemaRevision.head, isCurrent: $0.id == current)
            }
            if global.json { return try JSONOutput.print(entries) }
            for entry in entries {
                let marks = [entry.isHead ? "head" : nil, entry.isCurrent ? "current" : nil].compactMap { $0 }
                let suffix = marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"
                Console.out("\(entry.downRevision ?? "<base>") -> \(entry.id)\(suffix), \(entry.message)")
            }
        }
    }
}
