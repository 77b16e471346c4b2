/// The version of TMWS for Swift: what `tmwsctl --version` and `mcp-server --version` print and
/// what the MCP server reports as its `serverInfo.version`. One number everywhere; the keys and the
/// schema stay compatible with the Python TMWS v2.3.0 whatever this says.
public enum ProductVersion {
    public static let current = "0.2.0"
}
