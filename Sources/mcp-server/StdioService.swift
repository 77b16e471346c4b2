import Logging
import ServiceLifecycle
import TMWSMCPServing

/// Serves MCP over standard input and output until stdin closes or shutdown is asked.
///
/// Its description is redacted: service-lifecycle logs services at debug level, and the default
/// reflection would print the API key.
struct StdioService: Service, CustomStringConvertible {
    var description: String { "StdioService(apiKey: \(apiKey == nil ? "unset" : "set, redacted"))" }

    let dispatcher: MCPDispatcher
    let apiKey: String?
    let logger: Logger

    func run() async throws {
        if apiKey == nil { logger.warning("TMWS_API_KEY is not set: every tool call will be UNAUTHENTICATED") }
        let server = MCPStdioServer(dispatcher: dispatcher, credential: apiKey, logger: logger)
        logger.info("serving MCP over stdio")
        await withGracefulShutdownHandler {
            await server.run()
        } onGracefulShutdown: {
            server.stop()
        }
        logger.info("stdio session ended")
    }
}
