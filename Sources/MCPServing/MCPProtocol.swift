/// The protocol revisions this server speaks, the reserved `_meta` keys, and the error codes of
/// the MCP specification 2026-07-28 (`basic/index.mdx`, `basic/versioning.mdx`).
public enum MCPProtocol {
    /// Modern revisions: version, identity and capabilities travel in every request's `_meta`,
    /// and requests are served statelessly.
    public static let modernVersions = ["2026-07-28"]
    /// Legacy revisions, selected by an `initialize` handshake (newest first).
    public static let legacyVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    /// Every revision served, newest first: what `server/discover` and `-32022` errors list.
    public static let supportedVersions = modernVersions + legacyVersions

    /// The `_meta` key of a request's protocol version.
    public static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    /// The `_meta` key of a request's client capabilities.
    public static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    /// The `_meta` key of a request's client identity.
    public static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    /// The `_meta` key of a request's log level.
    public static let logLevelKey = "io.modelcontextprotocol/logLevel"
    /// The `_meta` key of a result's server identity.
    public static let serverInfoKey = "io.modelcontextprotocol/serverInfo"

    /// JSON-RPC and MCP error codes.
    public enum ErrorCode {
        public static let parseError = -32700
        public static let invalidRequest = -32600
        public static let methodNotFound = -32601
        public static let invalidParams = -32602
        public static let internalError = -32603
        /// The HTTP headers do not match the body, or a required header is missing or malformed.
        public static let headerMismatch = -32020
        /// The request needs a client capability the client did not declare.
        public static let missingRequiredClientCapability = -32021
        /// The requested protocol version is not served.
        public static let unsupportedProtocolVersion = -32022
    }
}
