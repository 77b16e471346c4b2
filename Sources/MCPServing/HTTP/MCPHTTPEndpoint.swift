import Foundation
import Logging
import MCP

/// A request to the MCP endpoint, independent of the HTTP server that received it.
public struct MCPHTTPRequest: Sendable {
    public var method: String
    /// Header fields by lowercased name (the last value of a repeated field).
    public var headers: [String: String]
    public var body: Data

    public init(method: String, headers: [String: String], body: Data) {
        self.init(
            method: method, lowercasedHeaders: Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last }), body: body)
    }

    /// For callers whose header names are lowercase already (HTTPTypes' canonical names).
    init(method: String, lowercasedHeaders: [String: String], body: Data) {
        self.method = method
        self.headers = lowercasedHeaders
        self.body = body
    }

    func header(_ name: String) -> String? { headers[name] }
}

/// The answer to an ``MCPHTTPRequest``.
public struct MCPHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ body: Data, extra: [(String, String)] = []) -> MCPHTTPResponse {
        MCPHTTPResponse(status: status, headers: [("Content-Type", "application/json")] + extra, body: body)
    }

    static func rpcError(
        _ status: Int, _ code: Int, _ message: String, id: RequestID? = nil, extra: [(String, String)] = []
    )
        -> MCPHTTPResponse
    {
        json(status, JSONRPCAnswer.error(id: id, RPCError(code: code, message: message)), extra: extra)
    }
}

/// Streamable HTTP at one endpoint, in both eras (MCP 2026-07-28 `basic/transports/streamable-http.mdx`
/// and, for legacy clients, 2025-11-25's):
///
/// - A POST whose `params._meta` names a protocol version is **modern**: it needs no session and
///   no state, so any server behind a plain round-robin balancer can answer it. Its
///   `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers must be present and match the
///   body (`-32020`, 400); an unsupported version is `-32022` (400); an unknown method 404.
/// - `initialize` opens a **legacy** session. It needs a valid credential, and the session is
///   bound to it: every later request, and `DELETE`, must present the same credential (403
///   otherwise), a request id already under way in the session is refused with 409, and sessions
///   are capped per owner and in total. Answers are single JSON bodies: there is no replay
///   buffer and no standalone `GET` stream (405), so nothing can be replayed with a session id.
/// - The HTTP request travels with its message to the tool: nothing is looked up by request id.
public final class MCPHTTPEndpoint: Sendable {
    /// Checks a credential; returns the owner it belongs to (sessions are capped per owner), or `nil`.
    public typealias Authenticate = @Sendable (_ credential: String) async -> String?

    public let dispatcher: MCPDispatcher
    public let sessions: LegacySessions
    let hostPolicy: HostPolicy
    let authenticate: Authenticate
    let logger: Logger

    public init(
        dispatcher: MCPDispatcher, sessions: LegacySessions, hostPolicy: HostPolicy, authenticate: @escaping Authenticate,
        logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.sessions = sessions
        self.hostPolicy = hostPolicy
        self.authenticate = authenticate
        self.logger = logger
    }

    static let sessionHeader = "mcp-session-id"
    static let noStore = ("Cache-Control", "no-store")

    /// Answers one request to the MCP endpoint.
    public func handle(_ request: MCPHTTPRequest) async -> MCPHTTPResponse {
        guard hostPolicy.allows(host: request.header("host"), origin: request.header("origin")) else {
            return .rpcError(403, MCPProtocol.ErrorCode.invalidRequest, "Forbidden: Host or Origin not allowed")
        }
        let credential = HeaderValue.bearer(request.header("authorization"))
        switch request.method {
        case "POST":
            return await post(request, credential: credential)
        case "DELETE":
            guard let id = request.header(Self.sessionHeader) else {
                return .rpcError(400, MCPProtocol.ErrorCode.invalidRequest, "Bad Request: DELETE needs an Mcp-Session-Id header")
            }
            return sessionRefusal(sessions.close(id, credential: credential)) ?? MCPHTTPResponse(status: 200)
        case "GET":
            // No standalone stream: modern clients never open one, legacy clients do without it.
            return .rpcError(
                405, MCPProtocol.ErrorCode.invalidRequest, "Method Not Allowed: this server sends no server-initiated stream",
                extra: [("Allow", "POST, DELETE")])
        default:
            return .rpcError(405, MCPProtocol.ErrorCode.invalidRequest, "Method Not Allowed", extra: [("Allow", "POST, DELETE")])
        }
    }

    private func post(_ request: MCPHTTPRequest, credential: String?) async -> MCPHTTPResponse {
        guard let type = request.header("content-type"), type.lowercased().hasPrefix("application/json") else {
            return .rpcError(415, MCPProtocol.ErrorCode.invalidRequest, "Unsupported Media Type: Content-Type must be application/json")
        }
        if let accept = request.header("accept")?.lowercased(),
            !(accept.contains("application/json") || accept.contains("*/*") || accept.contains("application/*"))
        {
            return .rpcError(406, MCPProtocol.ErrorCode.invalidRequest, "Not Acceptable: the answer is application/json")
        }
        switch IncomingMessage.parse(request.body) {
        case .invalid(let error, let id):
            return .json(400, JSONRPCAnswer.error(id: id, error))
        case .response:
            return MCPHTTPResponse(status: 202)
        case .notification(_, let params):
            let modern = params?["_meta"]?.objectValue?[MCPProtocol.protocolVersionKey] != nil
            if let id = request.header(Self.sessionHeader), !modern {
                if let refusal = sessionRefusal(sessions.admit(id, credential: credential, request: nil)) { return refusal }
            }
            return MCPHTTPResponse(status: 202)
        case .request(let message):
            if message.method == "initialize" { return await initialize(message, credential: credential) }
            let meta: RequestMeta?
            do {
                meta = try RequestMeta.parse(message.params)
            } catch {
                return .json(400, JSONRPCAnswer.error(id: message.id, error))
            }
            if let meta {
                if let mismatch = Self.headerMismatch(request, message, meta) {
                    return .rpcError(400, MCPProtocol.ErrorCode.headerMismatch, "Header mismatch: \(mismatch)", id: message.id)
                }
                let answer = await dispatcher.modern(message, meta: meta, credential: credential)
                return .json(answer.httpStatus(), answer.body, extra: [Self.noStore])
            }
            guard let sessionID = request.header(Self.sessionHeader) else {
                let answer = await dispatcher.respond(to: message, legacyVersion: nil, credential: credential)
                return .json(answer.httpStatus(), answer.body)
            }
            let admission = sessions.admit(sessionID, credential: credential, request: message.id)
            guard case .admitted(let version) = admission else { return sessionRefusal(admission, id: message.id)! }
            defer { sessions.finish(sessionID, request: message.id) }
            // 2025-11-25: a request of the session names the negotiated version (or none, read as 2025-03-26).
            if let named = request.header("mcp-protocol-version"), named != version {
                return .rpcError(
                    400, MCPProtocol.ErrorCode.invalidRequest,
                    "Bad Request: MCP-Protocol-Version does not match the session's version \(version)", id: message.id)
            }
            let answer = await dispatcher.legacy(message, version: version, credential: credential)
            return .json(answer.httpStatus(inSession: true), answer.body, extra: [Self.noStore])
        }
    }

    /// `initialize`: a legacy session, for a valid credential only.
    private func initialize(_ message: IncomingMessage.Request, credential: String?) async -> MCPHTTPResponse {
        guard let credential, let owner = await authenticate(credential) else {
            return .rpcError(
                401, MCPProtocol.ErrorCode.invalidRequest,
                "Unauthorized: a valid API key (Authorization: Bearer) is needed to open a session", id: message.id,
                extra: [("WWW-Authenticate", "Bearer")])
        }
        let (answer, version) = dispatcher.initialize(message)
        do {
            let id = try sessions.open(owner: owner, credential: credential, version: version)
            logger.debug("legacy session opened", metadata: ["version": "\(version)", "sessions": "\(sessions.count)"])
            return .json(200, answer.body, extra: [("Mcp-Session-Id", id)])
        } catch .ownerLimit {
            return .rpcError(
                429, MCPProtocol.ErrorCode.invalidRequest,
                "Too Many Requests: this agent has \(sessions.limits.perOwner) open sessions; end one (DELETE) or use the stateless protocol",
                id: message.id)
        } catch {
            return .rpcError(
                503, MCPProtocol.ErrorCode.invalidRequest, "Service Unavailable: too many sessions; try again later", id: message.id,
                extra: [("Retry-After", "30")])
        }
    }

    /// The answer refusing a session request, or `nil` when it was admitted.
    private func sessionRefusal(_ admission: LegacySessions.Admission, id: RequestID? = nil) -> MCPHTTPResponse? {
        switch admission {
        case .admitted: nil
        case .unknown:
            .rpcError(404, MCPProtocol.ErrorCode.invalidRequest, "Session not found or expired; initialize a new session", id: id)
        case .wrongCredential:
            .rpcError(403, MCPProtocol.ErrorCode.invalidRequest, "Forbidden: the session belongs to another credential", id: id)
        case .duplicateID:
            .rpcError(409, MCPProtocol.ErrorCode.invalidRequest, "Conflict: a request with this id is already running in the session", id: id)
        }
    }

    /// Methods whose `params.name` (or `params.uri`) `Mcp-Name` must carry.
    static let namedMethods = ["tools/call": "name", "prompts/get": "name", "resources/read": "uri"]

    /// Why the standard headers do not agree with a modern request's body, or `nil` when they do.
    static func headerMismatch(_ request: MCPHTTPRequest, _ message: IncomingMessage.Request, _ meta: RequestMeta) -> String? {
        guard let version = request.header("mcp-protocol-version") else { return "the MCP-Protocol-Version header is required" }
        guard version == meta.protocolVersion else {
            return "the MCP-Protocol-Version header does not match params._meta's protocol version"
        }
        guard let method = request.header("mcp-method") else { return "the Mcp-Method header is required" }
        guard method == message.method else { return "the Mcp-Method header does not match the body's method" }
        if let key = namedMethods[message.method] {
            guard let raw = request.header("mcp-name") else { return "the Mcp-Name header is required for \(message.method)" }
            guard let name = HeaderValue.decode(raw) else { return "the Mcp-Name header is not a valid header value" }
            guard let bodyName = message.params?[key]?.stringValue, bodyName == name else {
                return "the Mcp-Name header does not match params.\(key)"
            }
        }
        return nil
    }
}
