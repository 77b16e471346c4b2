import MCP

/// One tool as a value: what `tools/list` shows, and what runs on `tools/call`.
public struct MCPTool: Sendable {
    /// The tool's declaration (name, schemas, annotations).
    public let definition: Tool
    /// Runs one call. Domain failures are `isError` results, never thrown.
    public let run: @Sendable (_ arguments: [String: Value]?, _ context: ToolCallContext) async -> CallTool.Result

    public init(
        _ definition: Tool, run: @escaping @Sendable (_ arguments: [String: Value]?, _ context: ToolCallContext) async -> CallTool.Result
    ) {
        self.definition = definition
        self.run = run
    }

    /// The tool's name.
    public var name: String { definition.name }
}

/// What a tool learns about the call besides its arguments.
public struct ToolCallContext: Sendable {
    /// The caller's credential as the transport received it (stdio: from the environment; HTTP:
    /// the request's `Authorization: Bearer` token), unchecked. `nil` when there is none.
    public let credential: String?
    /// The protocol revision of the request.
    public let protocolVersion: String

    public init(credential: String?, protocolVersion: String) {
        self.credential = credential
        self.protocolVersion = protocolVersion
    }
}

/// Who this server says it is, in `server/discover`, `initialize` and every modern result.
public struct MCPServerInfo: Sendable {
    public let name: String
    public let version: String
    public let title: String?
    public let instructions: String?

    public init(name: String, version: String, title: String? = nil, instructions: String? = nil) {
        self.name = name
        self.version = version
        self.title = title
        self.instructions = instructions
    }
}
