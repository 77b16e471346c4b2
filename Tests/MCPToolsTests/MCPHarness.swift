import Foundation
import MCP
import Synchronization
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// The agents every harness has: admin, editor and viewer in namespace "ns", and an editor in "other".
enum Caller: String, CaseIterable, Sendable {
    case admin, editor, viewer, outsider

    var role: Role {
        switch self {
        case .admin: .admin
        case .editor, .outsider: .editor
        case .viewer: .viewer
        }
    }

    var namespace: String { self == .outsider ? "other" : "ns" }
}

/// Calls tools the way a modern MCP client does: a `tools/call` request with `_meta`, through
/// the dispatcher that `mcp-server` uses on both transports, with the caller's API key as the
/// credential; the JSON-RPC answer is decoded as a client would.
final class ToolClient: Sendable {
    let dispatcher: MCPDispatcher
    private let nextID = Mutex(1)

    init(_ handler: LicenseToolHandler) {
        dispatcher = LicenseMCPServer.dispatcher(handler: handler)
    }

    static let meta: Value = [
        "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:],
        "io.modelcontextprotocol/clientInfo": ["name": "mcp-tools-tests", "version": "1.0"],
    ]

    /// Sends one request and returns its `result`, or throws its error as an `MCPError`.
    func send(_ method: String, _ params: [String: Value], key: String?) async throws -> Data {
        let id = nextID.withLock { value in
            defer { value += 1 }
            return value
        }
        var params = params
        params["_meta"] = Self.meta
        let body = try JSONEncoder().encode(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": .object(params)] as [String: Value])
        guard case .request(let request) = IncomingMessage.parse(body) else { throw MCPError.invalidRequest("unparsable") }
        let answer = await dispatcher.respond(to: request, legacyVersion: nil, credential: key)
        let object = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        #expect(object["id"] as? Int == id)
        if let error = object["error"] as? [String: Any] {
            let message = error["message"] as? String
            switch error["code"] as? Int {
            case MCPProtocol.ErrorCode.invalidParams: throw MCPError.invalidParams(message)
            case MCPProtocol.ErrorCode.methodNotFound: throw MCPError.methodNotFound(message)
            default: throw MCPError.internalError(message)
            }
        }
        let result = try #require(object["result"] as? [String: Any])
        #expect(result["resultType"] as? String == "complete")
        return try JSONSerialization.data(withJSONObject: result)
    }

    func callTool(_ name: String, _ arguments: [String: Value]?, key: String?) async throws -> CallTool.Result {
        var params: [String: Value] = ["name": .string(name)]
        if let arguments { params["arguments"] = .object(arguments) }
        return try JSONDecoder().decode(CallTool.Result.self, from: try await send("tools/call", params, key: key))
    }

    func listTools() async throws -> [Tool] {
        try JSONDecoder().decode(ListTools.Result.self, from: try await send("tools/list", [:], key: nil)).tools
    }
}

/// A `LicenseToolHandler` served by `LicenseMCPServer`'s dispatcher and driven by a
/// ``ToolClient``. The store, the service and the handler share one ``TestClock``.
struct MCPHarness {
    static let signer = LicenseSigner(secret: try! SigningSecret(Array(String(repeating: "k", count: 40).utf8)))

    let clock: TestClock
    let handle: TemporaryStore
    let service: LicenseService
    let authenticator: APIKeyAuthenticator
    let agents: [Caller: Agent]
    let keys: [Caller: String]
    let client: ToolClient

    var store: any Store { handle.store }

    /// Builds a harness, runs `body`, and tears the session down whatever happens.
    static func with<T>(_ backend: StoreBackend = .memory, _ body: (MCPHarness) async throws -> T) async throws -> T {
        let harness = try await MCPHarness(backend)
        return try await withTeardown(harness, { await $0.close() }, body)
    }

    private init(_ backend: StoreBackend) async throws {
        let clock = TestClock()
        self.clock = clock
        handle = try await backend.makeStore(clock: clock.now)
        let store = handle.store
        let context = ServiceContext(store: store, clock: clock.now)
        service = LicenseService(context: context, signer: Self.signer)
        authenticator = APIKeyAuthenticator(store: store, clock: clock.now)
        var agents: [Caller: Agent] = [:]
        var keys: [Caller: String] = [:]
        for caller in Caller.allCases {
            let agent = try await store.createAgent(
                NewAgent(name: "agent-\(caller.rawValue)", namespace: caller.namespace, role: caller.role.rawValue))
            agents[caller] = agent
            keys[caller] = try await authenticator.issueKey(for: agent.id).key
        }
        self.agents = agents
        self.keys = keys
        client = ToolClient(
            LicenseToolHandler(
                licenses: service, agents: AgentAdministration(context: context), audit: AuditService(context: context),
                authenticator: authenticator, clock: clock.now))
    }

    func close() async {}

    func id(_ caller: Caller) -> String { agents[caller]!.id.uuidString.lowercased() }

    /// Calls a tool with a raw API key (or none).
    func call(_ tool: String, _ arguments: [String: Value]? = nil, key: String?) async throws -> CallTool.Result {
        try await client.callTool(tool, arguments, key: key)
    }

    /// Calls a tool as one of the harness's agents.
    func call(_ tool: String, _ arguments: [String: Value]? = nil, as caller: Caller) async throws -> CallTool.Result {
        try await call(tool, arguments, key: keys[caller])
    }

    /// Calls a tool, expects success (checked against the tool's output schema), returns the structured content.
    @discardableResult
    func succeed(
        _ tool: String, _ arguments: [String: Value]? = nil, as caller: Caller, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Value] {
        let result = try await call(tool, arguments, as: caller)
        return try expectSuccess(result, tool: tool, sourceLocation: sourceLocation)
    }

    /// Generates a license as `caller` and returns (license_id, license_key).
    func generate(_ tier: String = "PRO", days: Int? = 365, as caller: Caller = .editor) async throws -> (id: String, key: String) {
        var arguments: [String: Value] = ["tier": .string(tier)]
        if let days { arguments["expires_days"] = .int(days) }
        let result = try await succeed("generate_license_key", arguments, as: caller)
        return (try #require(result["license_id"]?.stringValue), try #require(result["license_key"]?.stringValue))
    }
}

/// The tool's declaration, as the catalog has it.
func declaredTool(_ name: String) throws -> Tool {
    try #require(ToolCatalog.all.first { $0.name == name })
}

/// Checks a success: `isError` false, text content, `structuredContent` valid against the output
/// schema's success branch, timestamps in `YYYY-MM-DDTHH:MM:SSZ`.
@discardableResult
func expectSuccess(_ result: CallTool.Result, tool: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Value] {
    #expect(result.isError == false, "\(tool) failed: \(result.structuredContent.map(String.init(describing:)) ?? "-")", sourceLocation: sourceLocation)
    #expect(!result.textContent.isEmpty, sourceLocation: sourceLocation)
    let structured = try #require(result.structuredContent, sourceLocation: sourceLocation)
    let schema = try #require(try declaredTool(tool).outputSchema, sourceLocation: sourceLocation)
    #expect(JSONSchema.errors(structured, against: schema) == [], sourceLocation: sourceLocation)
    let success = try #require(schema.objectValue?["anyOf"]?.arrayValue?.first, sourceLocation: sourceLocation)
    #expect(JSONSchema.errors(structured, against: success) == [], sourceLocation: sourceLocation)
    for (path, stamp) in JSONSchema.timestamps(in: structured) {
        #expect(JSONSchema.matches(stamp, JSONSchema.isoSeconds), "\(path) = \(stamp)", sourceLocation: sourceLocation)
    }
    return try #require(structured.objectValue, sourceLocation: sourceLocation)
}

/// Checks a failure: `isError` true, non-empty text, `structuredContent` exactly
/// `{"error": {"code", "message"}}` with the given code. Returns the message.
@discardableResult
func expectFailure(
    _ result: CallTool.Result, _ code: String, tool: String, sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    #expect(result.isError == true, sourceLocation: sourceLocation)
    #expect(!result.textContent.isEmpty, sourceLocation: sourceLocation)
    let structured = try #require(result.structuredContent?.objectValue, sourceLocation: sourceLocation)
    #expect(Set(structured.keys) == ["error"], sourceLocation: sourceLocation)
    let error = try #require(structured["error"]?.objectValue, sourceLocation: sourceLocation)
    #expect(Set(error.keys) == ["code", "message"], sourceLocation: sourceLocation)
    #expect(error["code"]?.stringValue == code, "message: \(error["message"]?.stringValue ?? "-")", sourceLocation: sourceLocation)
    let message = try #require(error["message"]?.stringValue, sourceLocation: sourceLocation)
    #expect(!message.isEmpty, sourceLocation: sourceLocation)
    let schema = try #require(try declaredTool(tool).outputSchema, sourceLocation: sourceLocation)
    #expect(JSONSchema.errors(.object(structured), against: schema) == [], sourceLocation: sourceLocation)
    return message
}

extension CallTool.Result {
    /// The concatenated text content.
    var textContent: String {
        content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined(separator: "\n")
    }
}

/// A fresh lowercase UUID that names nothing.
func randomID() -> String { UUID().uuidString.lowercased() }
