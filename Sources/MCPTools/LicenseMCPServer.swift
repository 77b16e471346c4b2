import TMWSLicenseCore
import TMWSMCPServing

/// The license tools as an MCP server: identity, instructions and the tool catalog, served by
/// `MCPDispatcher` over stdio or Streamable HTTP.
public enum LicenseMCPServer {
    /// The server's name in `server/discover`, `initialize` and every modern result's `_meta`.
    public static let name = "tmws-license"
    /// The server's version: the product's (`ProductVersion.current`).
    public static let version = ProductVersion.current

    public static let info = MCPServerInfo(
        name: name, version: version, title: "TMWS license tools",
        instructions: """
            License keys and RBAC. Authenticate with an agent API key (TMWS_API_KEY for stdio, \
            Authorization: Bearer for HTTP). validate_license_key works for every role; generate needs \
            editor or admin; revoke and query_audit_log need admin.
            """)

    /// A dispatcher serving `handler`'s tools.
    public static func dispatcher(handler: LicenseToolHandler) -> MCPDispatcher {
        MCPDispatcher(server: info, tools: handler.tools)
    }
}
