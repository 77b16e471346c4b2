import Foundation
import Logging
import MCP
import TMWSMCP

/// The Streamable HTTP sessions: one MCP `Server` and transport per session, created by an
/// `initialize` POST without a session id, found by the `MCP-Session-Id` header afterwards, ended
/// by `DELETE` or after an idle period.
actor MCPSessions {
    struct Session {
        let server: Server
        let transport: SessionHTTPTransport
        var lastUsed: ContinuousClock.Instant
    }

    /// The most sessions kept at once; more are refused with 503 until some expire.
    static let maximumSessions = 10_000

    private let handler: LicenseToolHandler
    private let hostCheck: HostCheck
    let idleTimeout: Duration
    private let logger: Logger
    private var sessions: [String: Session] = [:]

    init(handler: LicenseToolHandler, hostCheck: HostCheck, idleTimeout: Duration, logger: Logger) {
        self.handler = handler
        self.hostCheck = hostCheck
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    var count: Int { sessions.count }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        if let id = request.header(HTTPHeaderName.sessionID) {
            guard var session = sessions[id] else {
                return .error(statusCode: 404, .invalidRequest("Session not found or expired; initialize a new session"))
            }
            session.lastUsed = .now
            sessions[id] = session
            let response = await session.transport.handleRequest(request)
            if request.method == "DELETE" { await end(id) }
            return response
        }
        guard request.method == "POST" else {
            return .error(statusCode: 400, .invalidRequest("Bad Request: MCP-Session-Id header is required"))
        }
        if let refusal = hostCheck.validate(request) { return refusal }
        guard sessions.count < Self.maximumSessions else {
            return .error(statusCode: 503, .internalError("Too many sessions; try again later"))
        }
        // Not the SDK's StatefulHTTPServerTransport: it keeps every event a session sent, response
        // bodies included, until the session ends; this one keeps the newest (ReplayLimits).
        let transport = SessionHTTPTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                hostCheck.validator, AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(),
                ProtocolVersionValidator(), SessionValidator(),
            ]),
            logger: logger)
        let server = await LicenseMCPServer.make(handler: handler, apiKey: Self.bearerFromCurrentRequest, logger: logger)
        do {
            try await server.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("Cannot start a session"))
        }
        let response = await transport.handleRequest(request)
        if let id = response.headers.first(where: { $0.key.lowercased() == HTTPHeaderName.sessionID.lowercased() })?.value {
            sessions[id] = Session(server: server, transport: transport, lastUsed: .now)
            logger.debug("session started", metadata: ["sessions": "\(sessions.count)"])
        } else {
            await server.stop()
        }
        return response
    }

    /// Ends sessions idle for longer than the timeout.
    func expireIdle() async {
        let cutoff = ContinuousClock.now - idleTimeout
        for (id, session) in sessions where session.lastUsed < cutoff {
            await end(id)
        }
    }

    /// Ends every session (at shutdown).
    func endAll() async {
        for id in sessions.keys { await end(id) }
    }

    private func end(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.transport.disconnect()
        await session.server.stop()
    }

    /// The API key of the HTTP request whose tool call is being handled.
    @Sendable static func bearerFromCurrentRequest() -> String? {
        LicenseMCPServer.bearerToken(Server.currentHandlerContext?.httpContext?.header(HTTPHeaderName.authorization))
    }
}

/// The Host/Origin check against DNS rebinding: localhost by default, plus configured hosts.
struct HostCheck: Sendable {
    let validator: OriginValidator

    init(port: Int, extraHosts: [String]) {
        if extraHosts.contains("*") {
            validator = .disabled
            return
        }
        let local = OriginValidator.localhost()
        var hosts = local.allowedHosts
        var origins = local.allowedOrigins
        for host in extraHosts {
            let pattern = host.contains(":") && !host.hasSuffix("]") ? host : host + ":*"
            hosts.append(pattern)
            if !host.contains(":") { hosts.append(host) }
            origins += ["http://\(pattern)", "https://\(pattern)", "https://\(host)", "http://\(host)"]
        }
        validator = OriginValidator(allowedHosts: hosts, allowedOrigins: origins)
    }

    func validate(_ request: HTTPRequest) -> HTTPResponse? {
        validator.validate(
            request,
            context: HTTPValidationContext(
                httpMethod: request.method, sessionID: nil, isInitializationRequest: true, supportedProtocolVersions: []))
    }
}
