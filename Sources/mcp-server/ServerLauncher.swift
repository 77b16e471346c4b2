import Foundation
import Logging
import ServiceLifecycle
import TMWS
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSStorage

/// Opens the deployment, then serves MCP (HTTP or stdio) until shutdown.
///
/// A service of its own so that it runs beside the PostgreSQL pool in one service group: the
/// deployment can only be opened once the pool runs. Its description is redacted: service-lifecycle
/// logs services at debug level, and the default reflection would print the API key.
struct ServerLauncher: Service, CustomStringConvertible {
    /// Thrown when the deployment cannot be opened (already logged); the process exits with status 2.
    struct StartupFailure: Error {}

    var description: String { "ServerLauncher(\(resources.options.location), \(http.map { "http \($0.host):\($0.port)" } ?? "stdio"))" }

    /// The deployment to open, once its services (PostgreSQL's pool) run beside this one.
    let resources: Deployment.Resources
    let http: HTTPAddress?
    let allowedHosts: [String]
    let sessionLimits: LegacySessions.Limits
    let httpLimits: MCPHTTPLimits
    let apiKey: String?
    let logger: Logger

    func run() async throws {
        let deployment: Deployment
        do {
            deployment = try await resources.open()
        } catch {
            logger.critical("cannot start: \(MCPServerCommand.words(error))")
            throw StartupFailure()
        }
        let handler = LicenseToolHandler(deployment: deployment, logger: logger)
        let dispatcher = LicenseMCPServer.dispatcher(handler: handler)
        let services: [any Service]
        if let address = http {
            let endpoint = MCPHTTPEndpoint(
                dispatcher: dispatcher, sessions: LegacySessions(limits: sessionLimits),
                hostPolicy: HostPolicy(extraHosts: allowedHosts), authenticate: { await handler.owner(ofAPIKey: $0) }, logger: logger)
            services = [
                MCPHTTPApplication.application(
                    endpoint: endpoint,
                    health: {
                        guard let problem = await deployment.healthProblem() else { return HealthReport(healthy: true) }
                        logger.warning("health check failed: \(problem)")
                        return HealthReport(healthy: false, reason: problem)
                    },
                    host: address.host, port: address.port, limits: httpLimits,
                    documents: [
                        // The public keys apps verify license tokens with (active and retired).
                        PublishedDocument(path: ".well-known/jwks.json", contentType: "application/jwk-set+json", cacheControl: "public, max-age=300") {
                            guard let set = try? await deployment.signingKeys.publicKeySet() else { return nil }
                            return Data(set.json.utf8)
                        }
                    ], logger: logger)
            ]
        } else {
            services = [
                StdioService(dispatcher: dispatcher, apiKey: apiKey, accepts: { await handler.owner(ofAPIKey: $0) != nil }, logger: logger)
            ]
        }
        // Runs as a child of the process's group: its graceful shutdown reaches these services.
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }, logger: logger))
        try await group.run()
    }
}
