import Foundation
import Logging
import MCP

/// The server side of one MCP Streamable HTTP session, with a bounded replay buffer.
///
/// It behaves as the MCP Swift SDK's `StatefulHTTPServerTransport` (0.12.1, MIT licence; this
/// type is adapted from it): an `initialize` POST creates the session and its `MCP-Session-Id`;
/// every POSTed request is answered on its own Server-Sent Events stream, which starts with a
/// priming event and ends with the response; notifications and responses POSTed by the client get
/// 202; one standalone GET stream carries server-initiated messages; `DELETE` ends the session,
/// after which every request gets 404; each request first passes the validation pipeline (by
/// default Origin/Host, Accept, Content-Type, protocol version and session id), and a GET with
/// `Last-Event-ID` resumes a stream by replaying what followed that event.
///
/// The SDK transport keeps every event it ever sent, response bodies included, until the session
/// ends, so a long session grows by every call. This one keeps the newest events only, within
/// ``ReplayLimits``; an id older than those is refused as an unknown one is, with 400. Also:
/// - event ids are session-wide sequence numbers, so a request id chosen by the client never
///   appears in the event stream's framing, and a request id used twice does not mix two streams;
/// - resuming a request stream whose response was already sent replays it and ends the stream
///   (the SDK transport keeps such a stream open until the session ends);
/// - a stream replaced by a resumed one, or by a request reusing a pending id, is ended.
///
/// ```swift
/// let transport = SessionHTTPTransport(replayLimits: .standard)
/// try await server.start(transport: transport)
/// let response = await transport.handleRequest(httpRequest)  // for each request of the session
/// ```
public actor SessionHTTPTransport: Transport, HTTPContextProviding {
    /// Where the transport logs (session start and end at debug level, routing problems).
    public nonisolated let logger: Logger

    typealias Continuation = AsyncThrowingStream<Data, any Error>.Continuation

    /// A request the server has not answered yet.
    struct PendingRequest {
        /// Its stream in the replay buffer.
        let stream: UInt64
        /// Where its events go: the POST's response body, or the GET that resumed it.
        var continuation: Continuation
        /// The HTTP request that carried it, for ``httpRequestContext(for:)``.
        let request: HTTPRequest
    }

    /// The standalone GET stream's number in the replay buffer; request streams count from 1.
    static let standaloneStream: UInt64 = 0

    let sessionIDGenerator: any SessionIDGenerator
    let validationPipeline: any HTTPRequestValidationPipeline
    let retryInterval: Int?

    var sessionID: String?
    var terminated = false
    private var started = false

    let incoming: AsyncThrowingStream<Data, any Error>
    let incomingContinuation: Continuation

    /// The pending requests by JSON-RPC id.
    var pending: [String: PendingRequest] = [:]
    /// The standalone GET stream, while one is open.
    var standalone: Continuation?
    var nextStream: UInt64 = 1
    var replayBuffer: ReplayBuffer

    /// Creates the transport of one session.
    ///
    /// - Parameters:
    ///   - sessionIDGenerator: makes the session id; it must return visible ASCII only (0x21–0x7E).
    ///   - validationPipeline: checks every request before it is handled; `nil` for the SDK's
    ///     default: localhost Origin/Host, Accept with SSE, Content-Type, protocol version, session id.
    ///   - retryInterval: the reconnection delay in milliseconds sent in priming events, if any.
    ///   - replayLimits: how many sent events are kept for resumption.
    ///   - logger: where the transport logs; `nil` for no logging.
    public init(
        sessionIDGenerator: any SessionIDGenerator = UUIDSessionIDGenerator(),
        validationPipeline: (any HTTPRequestValidationPipeline)? = nil,
        retryInterval: Int? = nil,
        replayLimits: ReplayLimits = .standard,
        logger: Logger? = nil
    ) {
        self.sessionIDGenerator = sessionIDGenerator
        self.validationPipeline =
            validationPipeline
            ?? StandardValidationPipeline(validators: [
                OriginValidator.localhost(), AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(),
                ProtocolVersionValidator(), SessionValidator(),
            ])
        self.retryInterval = retryInterval
        self.replayBuffer = ReplayBuffer(maximumEvents: replayLimits.events, maximumBytes: replayLimits.bytes)
        self.logger = logger ?? Logger(label: "tmws.mcp.http.session", factory: { _ in SwiftLogNoOpLogHandler() })
        (incoming, incomingContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
    }

    /// The events and message bytes the replay buffer holds now (for tests and diagnostics).
    package var replayBufferUsage: (events: Int, bytes: Int) {
        (replayBuffer.count, replayBuffer.bytes)
    }

    // MARK: - Transport

    /// Starts the transport; throws `MCPError.internalError` when it was started already.
    public func connect() async throws {
        guard !started else { throw MCPError.internalError("Transport already started") }
        started = true
    }

    /// Ends the session, as a `DELETE` does.
    public func disconnect() async {
        terminate()
    }

    /// Sends a message from the server: a response on its request's stream, which it then ends;
    /// a notification or a server-initiated request on the standalone GET stream.
    ///
    /// A message that is no JSON-RPC object is logged and dropped, as is a response to no pending
    /// request. With no GET stream open, a server-initiated message is only kept for replay.
    /// - Throws: `MCPError.connectionClosed` once the session has ended.
    public func send(_ data: Data) async throws {
        guard !terminated else { throw MCPError.connectionClosed }
        guard let kind = JSONRPCMessageKind(data: data) else {
            logger.warning("Could not classify outgoing message for routing")
            return
        }
        switch kind {
        case .response(let id):
            guard let request = pending.removeValue(forKey: id) else {
                logger.debug("Response to no pending request dropped", metadata: ["requestID": "\(id)"])
                return
            }
            let eventID = replayBuffer.append(stream: request.stream, message: data, endsStream: true)
            request.continuation.yield(ServerSentEvent.message(data, id: eventID).formatted())
            request.continuation.finish()
        case .notification, .request:
            let eventID = replayBuffer.append(stream: Self.standaloneStream, message: data)
            standalone?.yield(ServerSentEvent.message(data, id: eventID).formatted())
        }
    }

    /// The messages the client POSTed, in order.
    public func receive() -> AsyncThrowingStream<Data, any Error> {
        incoming
    }

    // MARK: - HTTPContextProviding

    /// The HTTP request that carried the pending request `id`; `nil` once it is answered.
    public func httpRequestContext(for id: ID) -> HTTPRequest? {
        pending[id.description]?.request
    }

    // MARK: - HTTP

    /// Handles one HTTP request of the session: POST (JSON-RPC messages), GET (the standalone
    /// stream, or a resumed one with `Last-Event-ID`), DELETE (end the session); any other method
    /// gets 405, and every request after the session ended gets 404.
    public func handleRequest(_ request: HTTPRequest) async -> HTTPResponse {
        if terminated {
            return .error(statusCode: 404, .invalidRequest("Not Found: Session has been terminated"), sessionID: sessionID)
        }
        switch request.method.uppercased() {
        case "POST": return handlePost(request)
        case "GET": return handleGet(request)
        case "DELETE": return handleDelete(request)
        default:
            return .error(
                statusCode: 405, .invalidRequest("Method Not Allowed"), sessionID: sessionID,
                extraHeaders: [HTTPHeaderName.allow: "GET, POST, DELETE"])
        }
    }

    /// The validation pipeline's refusal of `request`, if any.
    func refusal(of request: HTTPRequest, method: String, initializing: Bool = false) -> HTTPResponse? {
        let context = HTTPValidationContext(
            httpMethod: method, sessionID: sessionID, isInitializationRequest: initializing,
            supportedProtocolVersions: Version.supported)
        return validationPipeline.validate(request, context: context)
    }

    /// Ends the session: every stream, the incoming messages, and the replay buffer.
    func terminate() {
        guard !terminated else { return }
        terminated = true
        logger.debug("Terminating session", metadata: ["sessionID": "\(sessionID ?? "none")"])
        for request in pending.values { request.continuation.finish() }
        pending.removeAll()
        standalone?.finish()
        standalone = nil
        replayBuffer.removeAll()
        incomingContinuation.finish()
    }
}
