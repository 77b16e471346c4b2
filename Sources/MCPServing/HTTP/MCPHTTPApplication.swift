import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The limits of an MCP HTTP server.
public struct MCPHTTPLimits: Sendable {
    /// The largest request body; a larger `Content-Length` is refused (413) before the body is read.
    public var maxBodyBytes: Int
    /// The most connections open at once; beyond it the server stops accepting until some close.
    public var maxConnections: Int
    /// The most connections one peer address may hold; more are closed at once.
    public var maxConnectionsPerPeer: Int
    /// How long a connection may take to send a complete request (head and body), counted from
    /// when it opened or its previous answer was sent; it also bounds an idle keep-alive connection.
    public var requestDeadline: Duration

    public init(
        maxBodyBytes: Int = 1 << 20, maxConnections: Int = 1024, maxConnectionsPerPeer: Int = 256, requestDeadline: Duration = .seconds(30)
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.requestDeadline = requestDeadline
    }
}

/// What `GET /health` reports.
public struct HealthReport: Sendable {
    public let healthy: Bool
    public let reason: String?

    public init(healthy: Bool, reason: String? = nil) {
        self.healthy = healthy
        self.reason = reason
    }
}

/// The Hummingbird application of `mcp-server --http`: the MCP endpoint at `/mcp` and `GET /health`.
/// A public document the server publishes beside `/mcp` (such as a JSON Web Key Set): no API
/// key, no Host check, `GET` only. `body` returns the current bytes, or `nil` when they cannot be
/// had now (503).
public struct PublishedDocument: Sendable {
    /// The path, without its leading slash (`.well-known/jwks.json`).
    public var path: String
    public var contentType: String
    /// The `Cache-Control` value (e.g. `public, max-age=300`).
    public var cacheControl: String
    public var body: @Sendable () async -> Data?

    public init(path: String, contentType: String, cacheControl: String, body: @escaping @Sendable () async -> Data?) {
        self.path = path
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.body = body
    }
}

public enum MCPHTTPApplication {
    /// The routes: `POST`, `GET` and `DELETE /mcp` through `endpoint`, and `GET /health`.
    public static func router(
        endpoint: MCPHTTPEndpoint, health: @escaping @Sendable () async -> HealthReport, maxBodyBytes: Int,
        documents: [PublishedDocument] = []
    ) -> Router<BasicRequestContext> {
        let router = Router()
        for document in documents {
            router.get(RouterPath(document.path)) { _, _ -> Response in
                guard let body = await document.body() else {
                    return Response(
                        status: .serviceUnavailable, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":"temporarily unavailable"}"#)))
                }
                return Response(
                    status: .ok, headers: [.contentType: document.contentType, .cacheControl: document.cacheControl],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            }
        }
        router.get("health") { _, _ -> Response in
            let report = await health()
            var object = ["status": report.healthy ? "healthy" : "unhealthy"]
            if let reason = report.reason { object["reason"] = reason }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            return Response(
                status: report.healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        for method in [HTTPRequest.Method.post, .get, .delete, .put, .patch] {
            router.on("mcp", method: method) { request, _ -> Response in
                if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
                    return tooLarge(maxBodyBytes)
                }
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: maxBodyBytes)
                } catch {
                    return tooLarge(maxBodyBytes)
                }
                var headers: [String: String] = [:]
                headers.reserveCapacity(request.headers.count + 1)
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                // HTTPTypes keeps HTTP/1's Host header as the request's authority, not as a field.
                if let authority = request.head.authority { headers["host"] = authority }
                let answer = await endpoint.handle(
                    MCPHTTPRequest(method: request.method.rawValue, lowercasedHeaders: headers, body: Data(body.readableBytesView)))
                return response(answer)
            }
        }
        return router
    }

    /// The application, with ``MCPHTTPLimits`` enforced on every connection.
    public static func application(
        endpoint: MCPHTTPEndpoint, health: @escaping @Sendable () async -> HealthReport, host: String, port: Int,
        limits: MCPHTTPLimits = MCPHTTPLimits(), documents: [PublishedDocument] = [], logger: Logger
    ) -> Application<RouterResponder<BasicRequestContext>> {
        let peers = PeerConnections(perPeer: limits.maxConnectionsPerPeer)
        let deadline = TimeAmount.nanoseconds(Int64(limits.requestDeadline.components.seconds) * 1_000_000_000)
        return Application(
            router: router(endpoint: endpoint, health: health, maxBodyBytes: limits.maxBodyBytes, documents: documents),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionGuard(peers: peers, requestDeadline: deadline)],
                    idleTimeout: deadline * 2)),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "tmws-mcp-server",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            services: [LegacySessionSweeper(sessions: endpoint.sessions)],
            logger: logger)
    }

    static func tooLarge(_ limit: Int) -> Response {
        response(.rpcError(413, MCPProtocol.ErrorCode.invalidRequest, "Content Too Large: the body exceeds \(limit) bytes"))
    }

    static func response(_ answer: MCPHTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: answer.body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// Ends idle legacy sessions every few seconds, and all of them on shutdown.
struct LegacySessionSweeper: Service {
    let sessions: LegacySessions

    func run() async throws {
        let interval = min(Duration.seconds(30), sessions.limits.idleTimeout / 2)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            sessions.expireIdle()
        }
        sessions.removeAll()
    }
}
