import Foundation
import MCP
import Synchronization
import TMWSLicenseCore
import TMWSMCP
import TMWSRBAC
import TMWSStorage
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

/// The API key the server sees for the call being handled; tests switch it between callers.
final class KeyBox: Sendable {
    private let key = Mutex<String?>(nil)
    var value: String? { key.withLock { $0 } }
    func set(_ value: String?) { key.withLock { $0 = value } }
}

/// A `LicenseToolHandler` served by `LicenseMCPServer` and driven by an SDK `Client` over an
/// in-memory transport pair. The store, the service and the handler share one ``TestClock``.
struct MCPHarness {
    static let signer = LicenseSigner(secret: try! SigningSecret(Array(String(repeating: "k", count: 40).utf8)))

    let clock: TestClock
    let handle: TemporaryStore
    let service: LicenseService
    let authenticator: APIKeyAuthenticator
    let agents: [Caller: Agent]
    let keys: [Caller: String]
    let keyBox: KeyBox
    let client: Client
    let server: Server

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
        service = LicenseService(store: store, signer: Self.signer, clock: clock.now)
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
        let keyBox = KeyBox()
        self.keyBox = keyBox
        (server, client) = try await Self.serve(
            LicenseToolHandler(service: service, authenticator: authenticator, clock: clock.now), keyBox: keyBox,
            clientName: "mcp-tools-tests")
    }

    /// Serves `handler` with `LicenseMCPServer` over an in-memory transport pair, the caller's API key
    /// read from `keyBox`, and connects an SDK client to it.
    static func serve(_ handler: LicenseToolHandler, keyBox: KeyBox, clientName: String) async throws -> (Server, Client) {
        let server = await LicenseMCPServer.make(handler: handler, apiKey: { keyBox.value })
        let (clientTransport, serverTransport) = await InMemoryTransport.createConnectedPair()
        try await server.start(transport: serverTransport)
        let client = Client(name: clientName, version: "1.0")
        try await client.connect(transport: clientTransport)
        return (server, client)
    }

    func close() async {
        await client.disconnect()
        await server.stop()
    }

    func id(_ caller: Caller) -> String { agents[caller]!.id.uuidString.lowercased() }

    /// Calls a tool with a raw API key (or none).
    func call(_ tool: String, _ arguments: [String: Value]? = nil, key: String?) async throws -> CallTool.Result {
        keyBox.set(key)
        let context = try await client.send(CallTool.request(.init(name: tool, arguments: arguments)))
        return try await context.value
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
