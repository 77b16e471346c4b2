import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import TMWS
import TMWSLicenseCore
import TMWSMCPServing
import TMWSStorage
import UnixSignals

@main
struct MCPServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp-server",
        abstract: "Serve the TMWS license tools over MCP (stdio by default, or Streamable HTTP).",
        discussion: """
            Tools: generate_license_key, validate_license_key, checkout_license, revoke_license_key, \
            get_usage_history, get_license_info, list_licenses, whoami, query_audit_log.

            Authentication: every tool call is authenticated by an agent API key — over stdio from the TMWS_API_KEY \
            environment variable (or the file TMWS_API_KEY_FILE names; checked at start), over HTTP from the \
            `Authorization: Bearer <key>` header of each request. The key is checked on every call, so a role change \
            or suspension applies to the next call.

            Database (--db or TMWS_DATABASE_URL): sqlite+aiosqlite:///PATH, sqlite:///PATH, a plain path, :memory:, \
            or postgres://USER:PASSWORD@HOST:PORT/DATABASE (also postgresql://; parameters sslmode, pool_size, \
            connect_timeout, search_path); sqlite:////abs/path is absolute and sqlite:///rel/path relative to the \
            working directory. Default: ~/.tmws/data/tmws.db. The database opened is logged at start. On first run \
            at the default (or on an empty PostgreSQL database) the database is created (owner-only permissions) and \
            migrated, an `admin` agent is created in namespace `default`, and its API key is written to admin.key \
            beside the database (admin-postgres.key in ~/.tmws/data/ for PostgreSQL; the path is logged, the key \
            never is). A missing SQLite file anywhere else is refused: create it with `tmwsctl init`. An existing \
            database at an older revision is refused unless --migrate is given. Several servers may share one \
            PostgreSQL database.

            Signing secret: TMWS_SECRET_KEY, or TMWS_SECRET_KEY_FILE naming a file; at least 32 bytes. When neither \
            is set, tmws_secret.key beside the database is used, and created on first run. With PostgreSQL one of \
            the two must be set, to the same secret on every server. The start-up log names the secret's source and \
            fingerprint; a database created with another secret is refused.

            Offline license tokens (checkout_license): signed with the deployment's active Ed25519 key (created on \
            the first checkout; manage them with `tmwsctl signing-key`), issuer TMWS_TOKEN_ISSUER (default tmws). \
            Over HTTP the public keys are served at GET /.well-known/jwks.json.

            HTTP (--http HOST:PORT): Streamable HTTP at /mcp, and GET /health → {"status": "healthy"} (503 with a \
            reason when storage is unreachable or cannot write, or the schema is not at head). MCP 2026-07-28 \
            requests (protocol version in params._meta, MCP-Protocol-Version/ Mcp-Method/Mcp-Name headers) are \
            served statelessly, so any server behind a round-robin balancer answers them. Older clients open a \
            session with initialize: it needs a valid API key, is bound to that key, and idle sessions expire; a \
            balancer must route such clients by Mcp-Session-Id. Requests whose Host or Origin is not localhost are \
            refused unless allowed with --allowed-host. Connections are limited in total and per peer address, and a \
            request must arrive whole within --request-timeout seconds. Serve plain HTTP on loopback only; terminate \
            TLS in front of any other address.

            stdio: MCP 2026-07-28 requests are served as they come; an initialize switches the process to the older \
            revision it negotiates.

            Logs go to standard error only, as text lines or, with --log-format json, one JSON object per line. \
            SIGINT and SIGTERM shut down gracefully: calls in flight finish first.
            """,
        version: ProductVersion.current)

    @Option(name: .long, help: ArgumentHelp("The database URL or path (else TMWS_DATABASE_URL, else ~/.tmws/data/tmws.db).", valueName: "URL"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Serve Streamable HTTP on this address instead of stdio, e.g. 127.0.0.1:8000.", valueName: "HOST:PORT"))
    var http: String?

    @Flag(name: .long, help: "Upgrade a database at an older schema revision instead of refusing it.")
    var migrate = false

    @Option(
        name: .customLong("allowed-host"),
        help: ArgumentHelp("With --http: also accept this Host (HOST or HOST:PORT; repeatable; '*' disables the check).", valueName: "HOST"))
    var allowedHosts: [String] = []

    @Option(name: .long, help: "With --http: seconds after which an idle session expires.")
    var sessionIdleTimeout: Int = 1800

    @Option(name: .long, help: "With --http: the largest request body accepted, in bytes.")
    var maxBodyBytes: Int = 1 << 20

    @Option(name: .long, help: "With --http: the most legacy sessions open at once (a hard cap).")
    var maxSessions: Int = 10_000

    @Option(name: .long, help: "With --http: the most legacy sessions one agent may hold at once.")
    var maxSessionsPerAgent: Int = 32

    @Option(name: .long, help: "With --http: the most connections open at once (also kept below the file-descriptor limit).")
    var maxConnections: Int = 1024

    @Option(name: .long, help: "With --http: the most connections one peer address may hold at once.")
    var maxConnectionsPerPeer: Int = 256

    @Option(name: .long, help: "With --http: seconds a connection has to send a whole request (head and body); also the keep-alive idle limit.")
    var requestTimeout: Int = 30

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (else TMWS_LOG_LEVEL, else info).")
    var logLevel: String?

    @Option(
        name: .long,
        help: "Log format: text (human-readable lines) or json (one JSON object per line) (else TMWS_LOG_FORMAT, else text).")
    var logFormat: String?

    func validate() throws {
        if let http, http.contains("://") {
            throw ValidationError("--http takes HOST:PORT without a scheme, e.g. 127.0.0.1:8000 (not \(http.prefix(80)))")
        }
        if let http, HTTPAddress(http) == nil {
            throw ValidationError("--http takes HOST:PORT, e.g. 127.0.0.1:8000")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let logFormat, LogFormat(rawValue: logFormat) == nil {
            throw ValidationError("--log-format must be text or json")
        }
        guard sessionIdleTimeout > 0, maxBodyBytes >= 1024 else {
            throw ValidationError("--session-idle-timeout must be positive and --max-body-bytes at least 1024")
        }
        guard maxSessions > 0, maxSessionsPerAgent > 0, maxConnections > 0, maxConnectionsPerPeer > 0, requestTimeout > 0 else {
            throw ValidationError(
                "--max-sessions, --max-sessions-per-agent, --max-connections, --max-connections-per-peer and --request-timeout must be positive")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: logLevel ?? environment["TMWS_LOG_LEVEL"] ?? "info") ?? .info
        (LogFormat(rawValue: logFormat ?? environment["TMWS_LOG_FORMAT"] ?? "text") ?? .text).bootstrap(level: level)
        let logger = Logger(label: "tmws.mcp-server")
        let apiKey: String?
        do {
            apiKey = try Self.apiKey(from: environment)
        } catch {
            logger.critical("cannot start: \(error.message)")
            throw ExitCode(2)
        }
        let resources: Deployment.Resources
        do {
            let location = try DatabaseLocation.resolve(db)
            logger.info("database: \(location.logDescription)")
            if case .sqliteFile(let path) = location, !path.hasPrefix("/") {
                logger.warning("the database path \(path) is relative: it names a file under \(FileManager.default.currentDirectoryPath)")
            }
            // A new database only at the embedded default (or in memory): anywhere else a missing
            // file is more likely a typo than a wish for a second deployment.
            let createIfMissing: Bool = {
                if case .sqliteFile = location { return location.isDefault }
                return true
            }()
            resources = try Deployment.Resources(
                Deployment.Options(location: location, migrate: migrate, createIfMissing: createIfMissing, logger: logger))
        } catch {
            logger.critical("cannot start: \(Self.words(error))")
            throw ExitCode(2)
        }
        let server = ServerLauncher(
            resources: resources, http: http.flatMap(HTTPAddress.init), allowedHosts: allowedHosts,
            sessionLimits: LegacySessions.Limits(
                total: maxSessions, perOwner: maxSessionsPerAgent, idleTimeout: .seconds(sessionIdleTimeout)),
            httpLimits: MCPHTTPLimits(
                maxBodyBytes: maxBodyBytes, maxConnections: FileDescriptors.connectionLimit(maxConnections, logger: logger),
                maxConnectionsPerPeer: maxConnectionsPerPeer, requestDeadline: .seconds(requestTimeout)),
            apiKey: apiKey, logger: logger)
        // The deployment's own services (PostgreSQL's pool) first, so that they shut down last.
        var services = resources.services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        services.append(.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch is ServerLauncher.StartupFailure {
            throw ExitCode(2)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            let address = http ?? "the address"
            logger.critical(
                "cannot listen on \(address): the address is already in use (another process listens there; stop it or choose another --http port)")
            throw ExitCode(2)
        } catch let error as IOError {
            logger.critical("cannot serve on \(http ?? "the address"): \(String(cString: strerror(error.errnoCode)))")
            throw ExitCode(2)
        } catch let error as SocketAddressError.UnknownHost {
            logger.critical("cannot serve on \(http ?? "the address"): the host name \(error.host) cannot be resolved; use an address such as 127.0.0.1")
            throw ExitCode(2)
        }
    }
}

/// `HOST:PORT`, with `[::1]:PORT` for IPv6.
struct HTTPAddress: Equatable {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}

extension MCPServerCommand {
    /// The stdio caller's API key: TMWS_API_KEY, or the first line of the file TMWS_API_KEY_FILE
    /// names (so that a client's configuration need not hold the key itself); not both.
    static func apiKey(from environment: [String: String]) throws(ConfigurationError) -> String? {
        let direct = environment["TMWS_API_KEY"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        guard let path = environment["TMWS_API_KEY_FILE"], !path.isEmpty else { return direct }
        guard direct == nil else {
            throw ConfigurationError(.invalidSecret, "TMWS_API_KEY and TMWS_API_KEY_FILE are both set; set one of them")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(.fileAccess, "cannot read TMWS_API_KEY_FILE \(path): \((error as NSError).localizedDescription)")
        }
        let key = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !key.isEmpty else { throw ConfigurationError(.invalidSecret, "TMWS_API_KEY_FILE \(path) holds no key") }
        return key
    }

    /// An error in words for the start-up log: its message, without Swift type names.
    static func words(_ error: any Error) -> String {
        switch error {
        case let error as ConfigurationError: error.message
        case let error as StorageError: error.message
        case let error as LicenseError: error.message
        default: "\(error)"
        }
    }
}
