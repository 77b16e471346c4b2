import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSStorage

/// `tmwsctl migrate`: the schema revisions of both tracks (what `alembic` did in the Python
/// deployment, for the seed track). Output about the seed track reads as it always did; the
/// extension track's lines are prefixed `extension:`.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show and change the schema revisions (the seed track and the extension track).",
        discussion: """
            The seed track is the Alembic history, recorded in alembic_version (head 571948cc671b), which the
            deployment guide's monitoring checks. TMWS's own tables (signing keys, the secret's fingerprint, …)
            live in the extension track, recorded in tmws_extension_version, which never alters a seed table.
            A server brings the extension track to its head when it opens the database.
            """,
        subcommands: [Status.self, Up.self, Down.self, History.self])

    struct RevisionResult: Encodable {
        var revision: String?
        var head: String
        var isHead: Bool
        var applied: [String]?
        var undone: [String]?
        /// Both tracks, the seed first (`revision`, `head` and `is_head` above are the seed's, as before).
        var tracks: [TrackState]?
    }

    struct TrackState: Encodable {
        var track: String
        var revision: String?
        var head: String
        var isHead: Bool

        init(_ track: MigrationTrack, _ revision: String?) {
            self.track = track.name
            self.revision = revision
            head = track.head
            isHead = revision == track.head
        }
    }

    /// `571948cc671b (head)`; for the extension track, prefixed `extension: `.
    static func label(_ revision: String?, track: MigrationTrack = .seed) -> String {
        let text: String
        if let revision {
            text = revision == track.head ? "\(revision) (head)" : revision
        } else {
            text = track == .seed ? "none (empty database)" : "none"
        }
        return track == .seed ? text : "\(track): \(text)"
    }

    /// A revision id (its track is the one holding it) or `base` (of `track`).
    static func revision(_ text: String, track: MigrationTrack? = nil) throws -> (track: MigrationTrack, id: String?) {
        if text == "base" { return (track ?? .seed, nil) }
        guard let holder = MigrationTrack.holding(revision: text) else {
            let known = MigrationTrack.all.flatMap(\.revisions).map(\.id).joined(separator: ", ")
            throw ValidationError("unknown revision '\(text.prefix(40))'; use one of \(known) or base")
        }
        if let track, track != holder {
            throw ValidationError("\(text) is a revision of the \(holder) track, not of the \(track) track")
        }
        return (holder, text)
    }

    static func trackOption(_ text: String?) throws -> MigrationTrack? {
        guard let text else { return nil }
        guard let track = MigrationTrack.named(text) else { throw ValidationError("unknown track '\(text.prefix(32))'; use seed or extension") }
        return track
    }

    static func states(_ store: any SchemaMigrating) async throws -> [TrackState] {
        var states: [TrackState] = []
        for track in MigrationTrack.all { states.append(TrackState(track, try await store.currentRevision(of: track))) }
        return states
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the current revisions: the seed's (e.g. `571948cc671b (head)`), then the extension track's.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Only this track: seed or extension.", valueName: "track"), completion: .list(["seed", "extension"]))
        var track: String?

        func validate() throws {
            try global.refuseAgent()
            _ = try Migrate.trackOption(track)
        }

        func run() async throws {
            let states = try await global.withMigratingStore { try await Migrate.states($0) }
            let only = try Migrate.trackOption(track)
            let shown = zip(MigrationTrack.all, states).filter { only == nil || $0.0 == only }
            if global.json {
                let first = shown[0].1
                return try JSONOutput.print(RevisionResult(revision: first.revision, head: first.head, isHead: first.isHead, tracks: shown.map(\.1)))
            }
            for (track, state) in shown { Console.out(Migrate.label(state.revision, track: track)) }
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upgrade the schema: both tracks to their heads, or one track to --to REV.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("to"), help: ArgumentHelp("The revision to upgrade to (its track is the one holding it).", valueName: "rev"))
        var target: String?

        func validate() throws {
            try global.refuseAgent()
            if let target { _ = try Migrate.revision(target) }
        }

        func run() async throws {
            let goals: [(track: MigrationTrack, id: String)]
            if let target {
                let (track, id) = try Migrate.revision(target)
                guard let id else { throw ValidationError("`base` is not an upgrade target") }
                goals = [(track, id)]
            } else {
                goals = MigrationTrack.all.map { ($0, $0.head) }
            }
            try await global.withMigratingStore { store in
                var applied: [(MigrationTrack, SchemaRevision)] = []
                for goal in goals {
                    applied += try await store.upgrade(goal.track, to: goal.id).map { (goal.track, $0) }
                }
                let states = try await Migrate.states(store)
                let revision = states[0].revision
                if global.json {
                    return try JSONOutput.print(
                        RevisionResult(
                            revision: revision, head: SchemaRevision.head, isHead: revision == SchemaRevision.head,
                            applied: applied.map(\.1.id), tracks: states))
                }
                for (track, step) in applied {
                    Console.out(
                        (track == .seed ? "" : "\(track): ") + "Running upgrade \(step.downRevision ?? "<base>") -> \(step.id), \(step.message)")
                }
                let shown = goals.map(\.track)
                for (track, state) in zip(MigrationTrack.all, states) where shown.contains(track) {
                    if !applied.contains(where: { $0.0 == track }) {
                        Console.out("already at \(Migrate.label(state.revision, track: track)); nothing to do")
                    }
                    Console.out("now at \(Migrate.label(state.revision, track: track))")
                }
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
                confirmation on a terminal; otherwise pass --yes. Works on the seed track unless --track
                extension is given or --to names an extension revision.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("seed (default) or extension.", valueName: "track"), completion: .list(["seed", "extension"]))
        var track: String?
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
            /// The track that was downgraded: `seed` or `extension`.
            var track: String
        }

        func validate() throws {
            try global.refuseAgent()
            if steps != nil, target != nil { throw ValidationError("pass either --steps or --to, not both") }
            if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
            let track = try Migrate.trackOption(track)
            if let target { _ = try Migrate.revision(target, track: track) }
        }

        func run() async throws {
            let location = try global.location()
            let chosen = try Migrate.trackOption(track)
            let track = try target.map { try Migrate.revision($0, track: chosen).track } ?? chosen ?? .seed
            try await global.withMigratingStore { store in
                let current = try await store.currentRevision(of: track)
                let position = try track.position(of: current)
                let goal: Int
                if let target {
                    goal = try track.position(of: try Migrate.revision(target, track: track).id)
                    guard goal <= position else {
                        throw Failure("\(target) is newer than the current revision \(Migrate.label(current, track: track))")
                    }
                } else {
                    goal = max(0, position - (steps ?? 1))
                }
                if position == 0 {
                    throw Failure(
                        track == .seed
                            ? "the database is empty (no revision); there is nothing to downgrade"
                            : "the \(track) track has no revision applied; there is nothing to downgrade")
                }
                if goal == 0, !toEmpty {
                    throw Failure(
                        track == .seed
                            ? "going below the base revision \(SchemaRevision.all[0].id) removes every table and every row; "
                                + "pass --to-empty to confirm (and take a `tmwsctl backup` first)"
                            : "going below the \(track) track's base revision \(track.revisions[0].id) removes every table of that track; "
                                + "pass --to-empty to confirm (and take a `tmwsctl backup` first)")
                }
                guard goal < position else {
                    if global.json {
                        return try JSONOutput.print(
                            Result(revision: current, head: track.head, isHead: current == track.head, undone: [], removed: [], backup: nil, track: track.name))
                    }
                    return Console.out("already at \(Migrate.label(current, track: track)); nothing to do")
                }
                let undone = Array(track.revisions[goal..<position].reversed())
                var removed: [Removed] = []
                for object in undone.flatMap(\.removedByDowngrade) {
                    removed.append(Removed(object: object.description, rows: try await store.rowCount(of: object.table) ?? 0))
                }
                let goalLabel = Migrate.label(track.revision(at: goal), track: track)
                let plan = removed.map { "\($0.object) (\($0.rows) row\($0.rows == 1 ? "" : "s"))" }.joined(separator: ", ")
                Console.error("downgrading from \(Migrate.label(current, track: track)) to \(goalLabel) removes: \(plan)")
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
                    guard Console.confirm("Downgrade \(global.database ?? "the database") from \(Migrate.label(current, track: track)) to \(goalLabel)?") else {
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
                _ = try await store.downgrade(track, to: track.revision(at: goal))
                let revision = try await store.currentRevision(of: track)
                if global.json {
                    return try JSONOutput.print(
                        Result(
                            revision: revision, head: track.head, isHead: revision == track.head, undone: undone.map(\.id), removed: removed,
                            backup: backup, track: track.name))
                }
                let prefix = track == .seed ? "" : "\(track): "
                for step in undone { Console.out(prefix + "Running downgrade \(step.id) -> \(step.downRevision ?? "<base>"), \(step.message)") }
                Console.out("now at \(Migrate.label(revision, track: track))")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every revision of both tracks, newest first, marking the current ones.")
        @OptionGroup var global: GlobalOptions

        func validate() throws { try global.refuseAgent() }

        struct Entry: Encodable {
            var track: String
            var id: String
            var downRevision: String?
            var message: String
            var isHead: Bool
            var isCurrent: Bool
        }

        func run() async throws {
            let states: [TrackState]? =
                switch try global.location() {
                case .sqliteFile(let path) where Deployment.databaseExists(at: path): try await Migrate.states(SQLiteStore(path: path))
                case .postgres: try await global.withMigratingStore { try await Migrate.states($0) }
                default: nil
                }
            let entries = zip(MigrationTrack.all, MigrationTrack.all.indices).flatMap { track, index in
                track.revisions.reversed().map {
                    Entry(
                        track: track.name, id: $0.id, downRevision: $0.downRevision, message: $0.message, isHead: $0.id == track.head,
                        isCurrent: $0.id == states?[index].revision)
                }
            }
            if global.json { return try JSONOutput.print(entries) }
            for entry in entries {
                let marks = [entry.isHead ? "head" : nil, entry.isCurrent ? "current" : nil].compactMap { $0 }
                let suffix = marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"
                let prefix = entry.track == MigrationTrack.seed.name ? "" : "\(entry.track): "
                Console.out("\(prefix)\(entry.downRevision ?? "<base>") -> \(entry.id)\(suffix), \(entry.message)")
            }
        }
    }
}
