import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStoragePostgres

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "The database: sqlite:///PATH, sqlite+aiosqlite:///PATH, a path, or postgres://USER:PASSWORD@HOST:PORT/DB (else TMWS_DATABASE_URL, else ~/.tmws/data/tmws.db).",
        valueName: "url"))
    var database: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("The agent whose authority the command uses.", valueName: "agent"))
    var agent: String = Deployment.adminName

    @Flag(name: .long, help: "Print one JSON document on standard output.")
    var json = false

    /// The configured database location.
    func location() throws -> DatabaseLocation {
        try DatabaseLocation.resolve(database)
    }

    /// The path of an existing database file (for the SQLite-only backup and restore commands).
    /// - Throws: a ``Failure`` (exit 2) for `:memory:`, PostgreSQL or a missing file.
    func existingDatabasePath() throws -> String {
        switch try location() {
        case .sqliteFile(let path):
            guard Deployment.databaseExists(at: path) else {
                throw Failure("no database at \(path); create one with `tmwsctl init --db \(path)` or pass --db")
            }
            return path
        case .memory:
            throw Failure("this command needs a database file, not :memory:; pass --db PATH")
        case .postgres:
            throw Failure("this command works on SQLite database files only")
        }
    }

    /// Opens the store for schema commands: no bootstrap and no head check.
    func migratingStore() async throws -> any Store & SchemaMigrating & SchemaVerifying {
        if case .postgres(let url) = try location() { return try await PostgresPools.store(url: url) }
        return try SQLiteStore(path: try existingDatabasePath())
    }

    /// Options for opening the deployment at the configured location (its PostgreSQL pool started when needed).
    func deploymentOptions(createIfMissing: Bool) async throws -> Deployment.Options {
        let location = try location()
        var options = Deployment.Options(location: location, createIfMissing: createIfMissing, logger: LogSetup.logger)
        switch location {
        case .memory: throw Failure("this command needs a database file, not :memory:; pass --db PATH")
        case .postgres(let url): options.externalStore = try await PostgresPools.store(url: url)
        case .sqliteFile: break
        }
        return options
    }

    /// Opens the deployment for agent, license, audit and stats commands. A missing database and
    /// one at an older revision are refused (exit 2) with the fix.
    func deployment() async throws -> Deployment {
        try await Deployment.open(await deploymentOptions(createIfMissing: false))
    }

    /// The `--as` agent as a principal (a trusted local tool holding the database).
    /// - Throws: a ``Failure`` (exit 2) when there is no such agent.
    func principal(in deployment: Deployment) async throws -> Principal {
        guard let agent = try await deployment.store.agent(named: agent) else {
            throw Failure("no agent named '\(agent.prefix(64))' for --as; list agents with `tmwsctl agent list`")
        }
        return Principal(agentID: agent.id)
    }

    /// Opens the deployment and resolves the `--as` agent.
    func session() async throws -> (Deployment, Principal) {
        let deployment = try await deployment()
        return (deployment, try await principal(in: deployment))
    }
}
