import Foundation
import Logging
import MCP

/// POST, GET and DELETE, adapted from the MCP Swift SDK 0.12.1 `StatefulHTTPServerTransport`
/// (MIT licence).
extension SessionHTTPTransport {
    // MARK: - POST

    func handlePost(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = request.body, !body.isEmpty else {
            return .error(statusCode: 400, .parseError("Empty request body"), sessionID: sessionID)
        }
        guard let object = JSONRPCMessageKind.object(body), let kind = JSONRPCMessageKind(object: object) else {
            return .error(statusCode: 400, .parseError("Invalid JSON-RPC message"), sessionID: sessionID)
        }
        if let refusal = refusal(of: request, method: "POST", initializing: kind.isInitializeRequest) {
            return refusal
        }
        switch kind {
        case .notification, .response:
            incomingContinuation.yield(body)
            return .accepted(headers: sessionHeaders())
        case .request(let id, "initialize"):
            guard sessionID == nil else {
                return .error(statusCode: 400, .invalidRequest("Bad Request: Session already initialized"), sessionID: sessionID)
            }
            let newSessionID = sessionIDGenerator.generateSessionID()
            guard !newSessionID.isEmpty, newSessionID.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
                logger.error("Generated session ID contains invalid characters")
                return .error(statusCode: 500, .internalError("Internal error: Invalid session ID generated"))
            }
            sessionID = newSessionID
            logger.debug("Session initialized", metadata: ["sessionID": "\(newSessionID)"])
            let version = JSONRPCMessageKind.requestedProtocolVersion(in: object) ?? protocolVersion(of: request)
            return openRequestStream(body, id: id, request: request, protocolVersion: version)
        case .request(let id, _):
            return openRequestStream(body, id: id, request: request, protocolVersion: protocolVersion(of: request))
        }
    }

    /// Opens the stream that will carry the answer to request `id`, and passes the request on.
    private func openRequestStream(_ body: Data, id: String, request: HTTPRequest, protocolVersion: String) -> HTTPResponse {
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        if let previous = pending[id] {
            logger.debug("Request id reused while pending; its earlier stream is ended", metadata: ["requestID": "\(id)"])
            previous.continuation.finish()
        }
        let number = nextStream
        nextStream += 1
        pending[id] = PendingRequest(stream: number, continuation: continuation, request: request)
        prime(continuation, stream: number, protocolVersion: protocolVersion)
        incomingContinuation.yield(body)
        return .stream(stream, headers: streamHeaders())
    }

    // MARK: - GET

    func handleGet(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = refusal(of: request, method: "GET") { return refusal }
        if let lastEventID = request.header(HTTPHeaderName.lastEventID) {
            return resume(after: lastEventID, request: request)
        }
        guard standalone == nil else {
            return .error(
                statusCode: 409, .invalidRequest("Conflict: Only one SSE stream is allowed per session"), sessionID: sessionID)
        }
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        standalone = continuation
        prime(continuation, stream: Self.standaloneStream, protocolVersion: protocolVersion(of: request))
        return .stream(stream, headers: streamHeaders())
    }

    /// A stream that replays what followed event `lastEventID` on its stream, then carries what
    /// comes next on it; a request stream that has already ended is replayed and ended.
    private func resume(after lastEventID: String, request: HTTPRequest) -> HTTPResponse {
        guard let replay = replayBuffer.replay(after: lastEventID) else {
            return .error(statusCode: 400, .invalidRequest("Invalid Last-Event-ID"), sessionID: sessionID)
        }
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        for (id, message) in replay.messages {
            continuation.yield(ServerSentEvent.message(message, id: id).formatted())
        }
        if replay.stream == Self.standaloneStream {
            standalone?.finish()
            standalone = continuation
        } else if !replay.streamEnded, let id = pending.first(where: { $0.value.stream == replay.stream })?.key {
            pending[id]?.continuation.finish()
            pending[id]?.continuation = continuation
        } else {
            continuation.finish()
            return .stream(stream, headers: streamHeaders())
        }
        prime(continuation, stream: replay.stream, protocolVersion: protocolVersion(of: request))
        return .stream(stream, headers: streamHeaders())
    }

    // MARK: - DELETE

    func handleDelete(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = refusal(of: request, method: "DELETE") { return refusal }
        terminate()
        return .ok(headers: sessionHeaders())
    }

    // MARK: - Helpers

    /// Sends a priming event, an id to resume from, to clients that accept one (protocol 2025-03-26
    /// and later; older clients may not handle an event with empty data).
    private func prime(_ continuation: Continuation, stream: UInt64, protocolVersion: String) {
        guard protocolVersion >= "2025-03-26" else { return }
        let eventID = replayBuffer.append(stream: stream, message: nil)
        continuation.yield(ServerSentEvent.priming(id: eventID, retry: retryInterval).formatted())
    }

    private func protocolVersion(of request: HTTPRequest) -> String {
        request.header(HTTPHeaderName.protocolVersion) ?? Version.latest
    }

    private func sessionHeaders() -> [String: String] {
        sessionID.map { [HTTPHeaderName.sessionID: $0] } ?? [:]
    }

    private func streamHeaders() -> [String: String] {
        var headers = sessionHeaders()
        headers[HTTPHeaderName.contentType] = "text/event-stream"
        headers[HTTPHeaderName.cacheControl] = "no-cache, no-transform"
        headers[HTTPHeaderName.connection] = "keep-alive"
        return headers
    }
}
