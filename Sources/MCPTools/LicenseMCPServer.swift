import Foundation
import Logging
import MCP
import TMWSLicenseCore

/// Builds MCP `Server`s that serve the license tools.
public enum LicenseMCPServer {
    /// The server's name in `initialize` results.
    public static let name = "tmws-license"
    /// The server's version.
    public static let version = "0.1.0"

    /// A server with the tools registered.
    /// - Parameter apiKey: how to find the caller's API key for the call being handled (for
    ///   stdio: `TMWS_API_KEY`; for HTTP: the request's `Authorization: Bearer` header).
    public static func make(
        handler: LicenseToolHandler, apiKey: @escaping @Sendable () -> String?, logger: Logger? = nil
    ) async -> Server {
        let server = Server(
            name: name, version: version, title: "TMWS license tools",
            instructions: """
                License keys and RBAC. Authenticate with an agent API key (TMWS_API_KEY for stdio, \
                Authorization: Bearer for HTTP). validate_license_key works for every role; generate needs \
                editor or admin; revoke and query_audit_log need admin.
                """,
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: ToolCatalog.all)
        }
        await server.withMethodHandler(CallTool.self) { params in
            try await handler.call(params.name, arguments: params.arguments, apiKey: apiKey())
        }
        return server
    }

    /// The API key from an HTTP `Authorization: Bearer <key>` header value.
    public static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}
