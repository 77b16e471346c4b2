import Foundation
import Logging
import MCP
import Synchronization
import TMWSMCPServing

/// A count shared between a tool and its test.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// A gate a tool waits at until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Int)>((false, [], 0))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = state.withLock { state -> Bool in
                state.arrived += 1
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    var arrived: Int { state.withLock { $0.arrived } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A dispatcher with test tools: `echo` answers with the credential it was called with (and its
/// arguments), `wait` blocks at a gate. Credentials `key-<owner>` are valid for `<owner>`.
struct TestServer {
    let gate = Gate()
    /// How many `echo` calls have finished.
    let echoes = Counter()
    let dispatcher: MCPDispatcher
    let endpoint: MCPHTTPEndpoint

    init(limits: LegacySessions.Limits = .init()) {
        let gate = self.gate, echoes = self.echoes
        let echo = MCPTool(
            Tool(name: "echo", description: "echoes", inputSchema: ["type": "object"])
        ) { arguments, context in
            let structured: Value = ["credential": context.credential.map(Value.string) ?? .null, "arguments": .object(arguments ?? [:])]
            echoes.increment()
            return .text(context.credential ?? "none", structured: structured)
        }
        let wait = MCPTool(Tool(name: "wait", description: "waits at the gate", inputSchema: ["type": "object"])) { _, context in
            await gate.wait()
            return .text(context.credential ?? "none")
        }
        dispatcher = MCPDispatcher(
            server: MCPServerInfo(name: "test-server", version: "9.9", title: "Test", instructions: "Test tools."), tools: [echo, wait])
        endpoint = MCPHTTPEndpoint(
            dispatcher: dispatcher, sessions: LegacySessions(limits: limits), hostPolicy: HostPolicy(),
            authenticate: { credential in credential.hasPrefix("key-") ? String(credential.dropFirst(4)) : nil },
            logger: Logger(label: "test"))
    }
}

/// JSON-RPC bodies and headers as MCP clients send them.
enum Wire {
    static let version = "2026-07-28"
    static var meta: [String: Any] {
        [
            "io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": [String: Any](),
            "io.modelcontextprotocol/clientInfo": ["name": "tests", "version": "1"],
        ]
    }

    static func body(_ method: String, id: Any? = 1, params: [String: Any] = [:], meta: [String: Any]? = Wire.meta) -> Data {
        var params = params
        if let meta { params["_meta"] = meta }
        var object: [String: Any] = ["jsonrpc": "2.0", "method": method, "params": params]
        if let id { object["id"] = id }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    static func call(_ tool: String, id: Any = 1, arguments: [String: Any] = [:], meta: [String: Any]? = Wire.meta) -> Data {
        body("tools/call", id: id, params: ["name": tool, "arguments": arguments], meta: meta)
    }

    /// The headers of a modern POST for `method` (and `name`), with a bearer when given.
    static func headers(_ method: String, name: String? = nil, bearer: String? = nil, version: String = Wire.version) -> [String: String] {
        var headers = [
            "Host": "127.0.0.1:8000", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": version, "Mcp-Method": method,
        ]
        if let name { headers["Mcp-Name"] = name }
        if let bearer { headers["Authorization"] = "Bearer \(bearer)" }
        return headers
    }

    static func legacyHeaders(bearer: String?, session: String? = nil) -> [String: String] {
        var headers = [
            "Host": "127.0.0.1:8000", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25",
        ]
        if let bearer { headers["Authorization"] = "Bearer \(bearer)" }
        if let session { headers["Mcp-Session-Id"] = session }
        return headers
    }

    static func initialize(id: Any = 0) -> Data {
        body(
            "initialize", id: id,
            params: ["protocolVersion": "2025-11-25", "capabilities": [String: Any](), "clientInfo": ["name": "legacy", "version": "1"]],
            meta: nil)
    }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}

extension MCPHTTPEndpoint {
    func post(_ body: Data, _ headers: [String: String]) async -> MCPHTTPResponse {
        await handle(MCPHTTPRequest(method: "POST", headers: headers, body: body))
    }
}

extension MCPHTTPResponse {
    var json: [String: Any] { Wire.json(body) }
    var errorCode: Int? { (json["error"] as? [String: Any])?["code"] as? Int }
    var result: [String: Any]? { json["result"] as? [String: Any] }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}
