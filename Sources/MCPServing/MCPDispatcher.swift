import Foundation
import MCP

/// Answers MCP requests in both eras, with no state of its own: transports decide the era (a
/// request whose `params._meta` names a protocol version is modern; a session or process that
/// sent `initialize` is legacy) and hand each request here with the caller's credential.
///
/// Everything that does not depend on the call is encoded once, at initialisation: the tool
/// catalog (in catalog order, for client and prompt caches), the discover result and the
/// server's `_meta` stamp.
public final class MCPDispatcher: Sendable {
    /// How long clients and shared caches may keep `tools/list` and `server/discover` results.
    public let catalogTTLMilliseconds: Int
    let info: MCPServerInfo
    private let tools: [String: MCPTool]
    private let modernToolsList: Data
    private let legacyToolsList: Data
    private let discoverResult: Data
    /// `"_meta":{"io.modelcontextprotocol/serverInfo":{…}}`, spliced into modern results.
    private let serverMetaMember: String
    /// `{"name":…,"version":…,"title":…}`, the `serverInfo` of `initialize`.
    private let legacyIdentity: String

    /// - Parameters:
    ///   - server: the name, version and title the server reports.
    ///   - tools: the tools, in the order `tools/list` shows them; names must be unique.
    ///   - catalogTTL: the `ttlMs` of `tools/list` and `server/discover` (the catalog is fixed for a process).
    public init(server: MCPServerInfo, tools: [MCPTool], catalogTTL: Duration = .seconds(3600)) {
        precondition(Set(tools.map(\.name)).count == tools.count, "tool names must be unique")
        info = server
        self.tools = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
        catalogTTLMilliseconds = Int(catalogTTL.components.seconds * 1000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let toolsJSON = String(decoding: (try? encoder.encode(tools.map(\.definition))) ?? Data("[]".utf8), as: UTF8.self)
        var identity = "{\"name\":\(JSONText.quoted(server.name)),\"version\":\(JSONText.quoted(server.version))"
        if let title = server.title { identity += ",\"title\":\(JSONText.quoted(title))" }
        identity += "}"
        serverMetaMember = "\"_meta\":{\(JSONText.quoted(MCPProtocol.serverInfoKey)):\(identity)}"
        let cache = "\"ttlMs\":\(catalogTTLMilliseconds),\"cacheScope\":\"public\""
        modernToolsList = Data("{\"resultType\":\"complete\",\"tools\":\(toolsJSON),\(cache),\(serverMetaMember)}".utf8)
        legacyToolsList = Data("{\"tools\":\(toolsJSON)}".utf8)
        let versions = MCPProtocol.supportedVersions.map(JSONText.quoted).joined(separator: ",")
        var discover = "{\"resultType\":\"complete\",\"supportedVersions\":[\(versions)],\"capabilities\":{\"tools\":{\"listChanged\":false}}"
        if let instructions = server.instructions { discover += ",\"instructions\":\(JSONText.quoted(instructions))" }
        discover += ",\(cache),\(serverMetaMember)}"
        discoverResult = Data(discover.utf8)
        legacyIdentity = identity
    }

    /// The tools, by name.
    public func tool(named name: String) -> MCPTool? { tools[name] }

    // MARK: Routing

    /// Answers a request that is not `initialize`: modern when its `_meta` names a protocol
    /// version, else legacy at `legacyVersion` (the version the session or process negotiated),
    /// else refused (`-32602`: the per-request protocol version is missing).
    public func respond(to request: IncomingMessage.Request, legacyVersion: String?, credential: String?) async -> Answer {
        let meta: RequestMeta?
        do {
            meta = try RequestMeta.parse(request.params)
        } catch {
            return .failure(request.id, error)
        }
        if let meta { return await modern(request, meta: meta, credential: credential) }
        if let legacyVersion { return await legacy(request, version: legacyVersion, credential: credential) }
        return .failure(
            request.id,
            RPCError(
                code: MCPProtocol.ErrorCode.invalidParams,
                message:
                    "Invalid params: \(MCPProtocol.protocolVersionKey) is required in params._meta (or send initialize first for a legacy session)"
            ))
    }

    /// A modern request, served statelessly.
    public func modern(_ request: IncomingMessage.Request, meta: RequestMeta, credential: String?) async -> Answer {
        guard MCPProtocol.modernVersions.contains(meta.protocolVersion) else {
            return .failure(request.id, Self.unsupportedVersion(meta.protocolVersion))
        }
        switch request.method {
        case "server/discover":
            return .success(request.id, discoverResult)
        case "tools/list":
            return .success(request.id, modernToolsList)
        case "tools/call":
            return await call(request, version: meta.protocolVersion, credential: credential, modern: true)
        default:
            return .failure(request.id, Self.methodNotFound)
        }
    }

    /// A request of a legacy session (or stdio process) that negotiated `version`.
    public func legacy(_ request: IncomingMessage.Request, version: String, credential: String?) async -> Answer {
        switch request.method {
        case "ping":
            return .success(request.id, Data("{}".utf8))
        case "tools/list":
            return .success(request.id, legacyToolsList)
        case "tools/call":
            return await call(request, version: version, credential: credential, modern: false)
        case "server/discover":
            return .success(request.id, discoverResult)
        case "initialize":
            return .failure(request.id, RPCError(code: MCPProtocol.ErrorCode.invalidRequest, message: "Invalid Request: already initialized"))
        default:
            return .failure(request.id, Self.methodNotFound)
        }
    }

    /// Answers `initialize`: the negotiated legacy version is the client's when served, else the newest legacy one.
    public func initialize(_ request: IncomingMessage.Request) -> (answer: Answer, version: String) {
        let requested = request.params?["protocolVersion"]?.stringValue
        let version = requested.flatMap { MCPProtocol.legacyVersions.contains($0) ? $0 : nil } ?? MCPProtocol.legacyVersions[0]
        var result = "{\"protocolVersion\":\(JSONText.quoted(version)),\"capabilities\":{\"tools\":{\"listChanged\":false}}"
        result += ",\"serverInfo\":\(legacyIdentity)"
        if let instructions = info.instructions { result += ",\"instructions\":\(JSONText.quoted(instructions))" }
        result += "}"
        return (.success(request.id, Data(result.utf8)), version)
    }

    private func call(_ request: IncomingMessage.Request, version: String, credential: String?, modern: Bool) async -> Answer {
        guard case .string(let name) = request.params?["name"] else {
            return .failure(request.id, RPCError(code: MCPProtocol.ErrorCode.invalidParams, message: "Invalid params: params.name must be a string"))
        }
        guard let tool = tools[name] else {
            return .failure(request.id, RPCError(code: MCPProtocol.ErrorCode.invalidParams, message: "Invalid params: unknown tool"))
        }
        var arguments: [String: Value]?
        switch request.params?["arguments"] {
        case nil, .null?: arguments = nil
        case .object(let object)?: arguments = object
        default:
            return .failure(request.id, RPCError(code: MCPProtocol.ErrorCode.invalidParams, message: "Invalid params: arguments must be an object"))
        }
        let result = await tool.run(arguments, ToolCallContext(credential: credential, protocolVersion: version))
        // The whole answer in one buffer: `{"jsonrpc":"2.0","id":…,"result":{…}}`.
        var writer = JSONWriter(capacity: 640)
        writer.raw("{\"jsonrpc\":\"2.0\",\"id\":\(request.id.json),\"result\":{")
        if modern {
            writer.raw("\"resultType\":\"complete\",\(serverMetaMember),")
        }
        result.writeMembers(to: &writer)
        writer.raw("}}")
        return Answer(body: writer.data, errorCode: nil)
    }

    // MARK: Errors

    static let methodNotFound = RPCError(code: MCPProtocol.ErrorCode.methodNotFound, message: "Method not found")

    /// `-32022` with the versions served and the one requested.
    public static func unsupportedVersion(_ requested: String) -> RPCError {
        let supported = MCPProtocol.supportedVersions.map(JSONText.quoted).joined(separator: ",")
        return RPCError(
            code: MCPProtocol.ErrorCode.unsupportedProtocolVersion, message: "Unsupported protocol version",
            dataJSON: "{\"supported\":[\(supported)],\"requested\":\(JSONText.quoted(requested))}")
    }
}

extension MCPDispatcher {
    /// One answer: the JSON-RPC response bytes, and the error code when it is an error.
    public struct Answer: Sendable {
        public let body: Data
        public let errorCode: Int?

        static func success(_ id: RequestID, _ result: Data) -> Answer {
            Answer(body: JSONRPCAnswer.result(id: id, result), errorCode: nil)
        }

        static func failure(_ id: RequestID?, _ error: RPCError) -> Answer {
            Answer(body: JSONRPCAnswer.error(id: id, error), errorCode: error.code)
        }

        /// The HTTP status of this answer on Streamable HTTP (2026-07-28 `streamable-http.mdx`):
        /// 404 for an unknown method, 400 for a malformed or unsupported request, 500 for an
        /// internal error, 200 otherwise. In a legacy session an unknown method is 200 with the
        /// error, since a 404 there tells the client its session has ended.
        public func httpStatus(inSession: Bool = false) -> Int {
            switch errorCode {
            case nil: 200
            case MCPProtocol.ErrorCode.methodNotFound?: inSession ? 200 : 404
            case MCPProtocol.ErrorCode.internalError?: 500
            default: 400
            }
        }
    }
}
