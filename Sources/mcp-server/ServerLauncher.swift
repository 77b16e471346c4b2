import Logging
import ServiceLifecycle
import TMWSLicenseCore
import TMWSMCP
import TMWSStoragePostgres

/// Opens the deployment, then serves MCP (HTTP or stdio) until shutdown.
///
/// A service of its own so that it runs beside the PostgreSQL pool in one service group: the
/// deployment can only be opened once the pool runs. Its description is redacted: service-lifecycle
/// logs services at debug level, and the default reflection would print the API key.
struct ServerLauncher: Service, CustomStringConvertible {
    /// Thrown when the deployment cannot be opened (already logged); the process exits with status 2.
    struct StartupFailure: Error {}

    var description: String { "ServerLauncher(\(options.location), \(http.map { "http \($0.host):\($0.port)" } ?? "stdio"))" }

    let options: Deployment.Options
    /// The PostgreSQL store, checked before the deployment opens.
    let postgres: PostgresStore?
    let http: HTTPAddress?
    let allowedHosts: [String]
    let sessionIdleTimeout: Int
    let maxBodyBytes: Int
    let apiKey: String?
    let logger: Logger

    func run() async throws {
        let deployment: Deployment
        do {
            try await postgres?.checkConnection()
            deployment = try await Deployment.open(options)
        } catch {
            logger.critical("cannot start: \(error)")
            throw StartupFailure()
        }
        let handler = LicenseToolHandler(service: deployment.service, authenticator: deployment.authenticator, logger: logger)
        let services: [any Service]
        if let address = http {
            let sessions = MCPSessions(
                handler: handler, hostCheck: HostCheck(port: address.port, extraHosts: allowedHosts),
                idleTimeout: .seconds(sessionIdleTimeout), logger: logger)
            services = [
                HTTPServer.application(
                    address: address, sessions: sessions, store: deployment.store, maxBodyBytes: maxBodyBytes, logger: logger),
                SessionSweeper(sessions: sessions),
            ]
        } else {
            services = [StdioService(handler: handler, apiKey: apiKey, logger: logger)]
        }
        // Runs as a child of the process's group: its graceful shutdown reaches these services.
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }, logger: logger))
        try await group.run()
    }
}
