import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import NIOCore
import ServiceLifecycle
import TMWSMCP
import TMWSStorage

/// The Hummingbird application: Streamable HTTP at `/mcp`, and `GET /health`.
enum HTTPServer {
    static func application(
        address: HTTPAddress, sessions: MCPSessions, store: any Store, maxBodyBytes: Int, logger: Logger
    ) -> some Service {
        let router = Router()
        router.get("health") { _, _ -> Response in
            do {
                try await store.ping()
                return json(.ok, ["status": "healthy"])
            } catch {
                logger.warning("health check failed: storage unreachable")
                return json(.serviceUnavailable, ["status": "unhealthy", "reason": "storage unavailable"])
            }
        }
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("mcp", method: method) { request, _ -> Response in
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: maxBodyBytes)
                } catch {
                    return json(.contentTooLarge, ["error": "request body larger than \(maxBodyBytes) bytes"])
                }
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                // HTTPTypes keeps the HTTP/1 Host header as the request's authority, not as a field.
                if let authority = request.head.authority { headers[MCP.HTTPHeaderName.host] = authority }
                let mcpRequest = MCP.HTTPRequest(
                    method: request.method.rawValue, headers: headers,
                    body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: request.uri.path)
                // Outside the sessions actor: decoding a large body must not hold up other sessions.
                if let refusal = JSONRPCEnvelope.refusal(mcpRequest) { return response(refusal) }
                return response(await sessions.handle(mcpRequest))
            }
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "tmws-mcp-server"),
            logger: logger)
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Converts the SDK's framework-neutral response to a Hummingbird one.
    static func response(_ response: MCP.HTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            return Response(
                status: status, headers: headers,
                body: ResponseBody { writer in
                    do {
                        for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                    } catch {}
                    try await writer.finish(nil)
                })
        default:
            let body = response.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody()
            return Response(status: status, headers: headers, body: body)
        }
    }
}

/// Expires idle sessions every few seconds; ends them all on shutdown.
struct SessionSweeper: Service {
    let sessions: MCPSessions

    func run() async throws {
        let interval = min(Duration.seconds(30), sessions.idleTimeout / 2)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await sessions.expireIdle()
        }
        await sessions.endAll()
    }
}
