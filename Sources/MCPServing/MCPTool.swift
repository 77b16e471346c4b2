import MCP

/// One tool as a value: what `tools/list` shows, and what runs on `tools/call`.
public struct MCPTool: Sendable {
    /// The tool's declaration (name, schemas, annotations).
    public let definition: Tool
    /// Runs one call. Domain failures are `isError` results, never thrown.
    public let run: @Sendable (_ arguments: [String: Value]?, _ context: ToolCallContext) async -> ToolResult

    public init(
        _ definition: Tool, run: @escaping @Sendable (_ arguments: [String: Value]?, _ context: ToolCallContext) async -> ToolResult
    ) {
        self.definition = definition
        self.run = run
    }

    /// The tool's name.
    public var name: String { definition.name }
}

/// What a `tools/call` answers (MCP `CallToolResult`): content blocks, optional structured
/// content (which must match the tool's output schema) and whether the call failed.
///
/// The dispatcher writes it with ``JSONWriter`` straight into the answer, without `JSONEncoder`.
public struct ToolResult: Sendable, Equatable {
    /// Content blocks, each a JSON object such as `{"type":"text","text":"…"}`.
    public var content: [Value]
    public var structuredContent: Value?
    /// A tool-level failure (the call was understood but did not succeed).
    public var isError: Bool

    public init(content: [Value], structuredContent: Value? = nil, isError: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
    }

    /// A result with one text block.
    public static func text(_ text: String, structured: Value? = nil, isError: Bool = false) -> ToolResult {
        ToolResult(content: [.object(["type": .string("text"), "text": .string(text)])], structuredContent: structured, isError: isError)
    }

    /// Writes the result's members (`"content":[…],"structuredContent":…,"isError":…`) into an object under way.
    func writeMembers(to writer: inout JSONWriter) {
        writer.raw("\"content\":[")
        for (position, block) in content.enumerated() {
            if position > 0 { writer.byte(",") }
            writer.value(block)
        }
        writer.byte("]")
        if let structuredContent {
            writer.raw(",\"structuredContent\":")
            writer.value(structuredContent)
        }
        writer.raw(isError ? ",\"isError\":true" : ",\"isError\":false")
    }
}

/// What a tool learns about the call besides its arguments.
public struct ToolCallContext: Sendable {
    /// The caller's credential as the transport received it (stdio: from the environment; HTTP:
    /// the request's `Authorization: Bearer` token), unchecked. `nil` when none was presented;
    /// ``malformedCredential`` when an `Authorization` header was there but held no bearer token.
    public let credential: String?

    /// The credential of a request whose `Authorization` header is not `Bearer <token>`.
    public static let malformedCredential = ""
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
