import ArgumentParser
import Foundation
import TMWS
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
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

    /// Runs `body` with the store for schema commands (no bootstrap, no head check), PostgreSQL's
    /// pool open for as long as it runs.
    func withMigratingStore<Result>(_ body: (any Store & SchemaMigrating & SchemaVerifying) async throws -> Result) async throws -> Result {
        let location = try location()
        if case .postgres = location {} else { _ = try existingDatabasePath() }
        return try await Deployment.withSchemaStore(at: location, logger: LogSetup.logger, body)
    }

    /// Options for opening the deployment at the configured location.
    func deploymentOptions(createIfMissing: Bool) throws -> Deployment.Options {
        let location = try location()
        if case .memory = location { throw Failure("this command needs a database file, not :memory:; pass --db PATH") }
        return Deployment.Options(location: location, createIfMissing: createIfMissing, logger: LogSetup.logger)
    }

    /// Runs `body` with the deployment for agent, license, audit and stats commands, opened for as
    /// long as it runs. A missing database and one at an older revision are refused (exit 2) with the fix.
    func withDeployment<Result>(_ body: (Deployment) async throws -> Result) async throws -> Result {
        try await Deployment.withOpened(try deploymentOptions(createIfMissing: false), body)
    }

    /// The `--as` agent as a principal (a trusted local tool holding the database).
    /// - Throws: a ``Failure`` (exit 2) when there is no such agent.
    func principal(in deployment: Deployment) async throws -> Principal {
        guard let agent = try await deployment.store.agent(named: agent) else {
            throw Failure("no agent named '\(agent.prefix(64))' for --as; list agents with `tmwsctl agent list`")
        }
        return Principal(agentID: agent.id)
    }

    /// Runs `body` with the deployment and the `--as` agent.
    func withSession<Result>(_ body: (Deployment, Principal) async throws -> Result) async throws -> Result {
        try await withDeployment { deployment in try await body(deployment, try await principal(in: deployment)) }
    }
}
