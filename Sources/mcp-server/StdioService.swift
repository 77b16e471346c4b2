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
    /// Whether a key is accepted now (the stdio key is checked once at start, and on every call).
    let accepts: @Sendable (String) async -> Bool
    let logger: Logger

    func run() async throws {
        if let apiKey {
            if await !accepts(apiKey) {
                logger.warning(
                    """
                    the stdio API key (TMWS_API_KEY or TMWS_API_KEY_FILE) is not accepted: it is unknown or revoked, \
                    or its agent is suspended; every tool call will be UNAUTHENTICATED
                    """)
            }
        } else {
            logger.warning("TMWS_API_KEY is not set (nor TMWS_API_KEY_FILE): every tool call will be UNAUTHENTICATED")
        }
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
