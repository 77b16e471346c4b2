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

    @Option(
        name: .customLong("as"),
        help: ArgumentHelp("The agent whose authority the command uses (default: admin; not for database commands).", valueName: "agent"))
    var agentName: String?

    /// The `--as` agent, `admin` when none was given.
    var agent: String { agentName ?? Deployment.adminName }

    /// For the commands that work on the database itself (init, migrate, schema, backup, restore),
    /// where no agent's authority applies: refuses `--as` instead of ignoring it.
    func refuseAgent() throws {
        guard let agentName else { return }
        throw ValidationError(
            "--as \(agentName.prefix(64)) does not apply here: this command works on the database itself, with no agent's authority")
    }

    /// The options every command takes, which may also come before the command's name
    /// (`tmwsctl --db X init`): `arguments` with those leading options moved after the command,
    /// where each command's option group reads them.
    static func movingLeadingOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--json" {
                leading.append(argument)
                index += 1
            } else if argument == "--db" || argument == "--as", index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if argument.hasPrefix("--db=") || argument.hasPrefix("--as=") {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        // After the command's path (its names: words that are not options), before its own arguments.
        var end = index
        var command: any ParsableCommand.Type = TMWSCtl.self
        while end < arguments.count,
            let sub = command.configuration.subcommands.first(where: { $0._commandName == arguments[end] })
        {
            command = sub
            end += 1
        }
        return Array(arguments[index..<end]) + leading + Array(arguments[end...])
    }

    @Flag(name: .long, help: "Print one JSON document on standard output.")
    var json = false

    /// Where the database setting came from: `--db`, `TMWS_DATABASE_URL` or the default.
    var databaseSource: String {
        if database != nil { return "from --db" }
        if let url = ProcessInfo.processInfo.environment["TMWS_DATABASE_URL"], !url.isEmpty { return "from TMWS_DATABASE_URL" }
        return "the default"
    }

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
