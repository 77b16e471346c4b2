import Logging
import MCP
import ServiceLifecycle
import TMWSMCP

/// Serves one MCP session over standard input and output until stdin closes or shutdown is asked.
///
/// Its description is redacted: service-lifecycle logs services at debug level, and the default
/// reflection would print the API key.
struct StdioService: Service, CustomStringConvertible {
    var description: String { "StdioService(apiKey: \(apiKey == nil ? "unset" : "set, redacted"))" }

    let handler: LicenseToolHandler
    let apiKey: String?
    let logger: Logger

    func run() async throws {
        let key = apiKey
        if key == nil { logger.warning("TMWS_API_KEY is not set: every tool call will be UNAUTHENTICATED") }
        let server = await LicenseMCPServer.make(handler: handler, apiKey: { key }, logger: logger)
        let transport = BlockingStdioTransport(logger: logger)
        try await server.start(transport: transport)
        logger.info("serving MCP over stdio")
        await withGracefulShutdownHandler {
            await server.waitUntilCompleted()
            await transport.drain()
        } onGracefulShutdown: {
            Task { await server.stop() }
        }
        logger.info("stdio session ended")
    }
}
