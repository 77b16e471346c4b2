import Foundation
import MCP
import TMWSMCP
import Testing

/// One Server-Sent Event as a client reads it.
struct ReadEvent: Equatable {
    var id: String?
    var event: String?
    var data: String
    var retry: Int?

    /// Whether this is a priming event (an id, no data).
    var isPriming: Bool { id != nil && data.isEmpty && event == nil }

    /// The JSON object in the data.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
    }

    /// Parses one event as the transport writes it (each chunk of its streams is one event).
    init(_ chunk: Data) {
        var data: [String] = []
        for line in String(decoding: chunk, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let (field, value) = line.firstIndex(of: ":").map {
                (line[..<$0], line[line.index(after: $0)...].drop { $0 == " " })
            } ?? (line[...], ""[...])
            switch field {
            case "id": id = String(value)
            case "event": event = String(value)
            case "retry": retry = Int(value)
            case "data": data.append(String(value))
            default: break
            }
        }
        self.data = data.joined(separator: "\n")
    }
}

/// Reads the events of a streamed response.
struct EventReader {
    private var iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator

    init(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard case .stream(let stream, _) = response else {
            Issue.record("expected a stream, got \(response.statusCode)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        iterator = stream.makeAsyncIterator()
    }

    /// The next event, or `nil` when the stream has ended.
    mutating func next() async throws -> ReadEvent? {
        try await iterator.next().map(ReadEvent.init)
    }

    /// The next `count` events (fewer if the stream ends first).
    mutating func take(_ count: Int) async throws -> [ReadEvent] {
        var events: [ReadEvent] = []
        while events.count < count, let event = try await next() { events.append(event) }
        return events
    }

    /// Every event until the stream ends.
    mutating func rest() async throws -> [ReadEvent] {
        try await take(.max)
    }
}

/// A ``SessionHTTPTransport`` served by an MCP `Server` with one tool, `echo`, driven with HTTP
/// requests as a Streamable HTTP client sends them. `echo` answers its `text` argument followed by
/// `|` and the `Authorization` header of the HTTP request that carried the call.
struct HTTPSessionDriver {
    static let protocolVersion = "2025-06-18"

    let transport: SessionHTTPTransport
    let server: Server
    let sessionID: String

    /// Starts a session, runs `body`, and stops the session whatever happens.
    static func with<T>(
        limits: SessionHTTPTransport.ReplayLimits = .standard, _ body: (HTTPSessionDriver) async throws -> T
    ) async throws -> T {
        let session = try await start(limits: limits)
        return try await withTeardown(session, { await $0.stop() }, body)
    }

    /// Starts a server on a new transport and initializes the session.
    private static func start(limits: SessionHTTPTransport.ReplayLimits = .standard) async throws -> HTTPSessionDriver {
        let transport = SessionHTTPTransport(replayLimits: limits)
        let server = Server(name: "echo", version: "1", capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(CallTool.self) { params in
            let auth = Server.currentHandlerContext?.httpContext?.header(HTTPHeaderName.authorization) ?? "-"
            return CallTool.Result(content: [.text((params.arguments?["text"]?.stringValue ?? "") + "|" + auth)])
        }
        try await server.start(transport: transport)
        let initialize = await transport.handleRequest(post(
            #"{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"\#(protocolVersion)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            sessionID: nil))
        var reader = try EventReader(initialize)
        let events = try await reader.rest()
        #expect(events.count == 2 && events[0].isPriming && events[1].json?["result"] != nil)
        let sessionID = try #require(initialize.headers[HTTPHeaderName.sessionID])
        let driver = HTTPSessionDriver(transport: transport, server: server, sessionID: sessionID)
        #expect(await driver.post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).statusCode == 202)
        return driver
    }

    /// A POST with the headers a client sends, plus `headers`.
    static func post(_ body: String, sessionID: String?, headers: [String: String] = [:]) -> HTTPRequest {
        var all = [
            HTTPHeaderName.accept: "application/json, text/event-stream", HTTPHeaderName.contentType: "application/json",
            HTTPHeaderName.protocolVersion: protocolVersion,
        ]
        if let sessionID { all[HTTPHeaderName.sessionID] = sessionID }
        all.merge(headers) { _, new in new }
        return HTTPRequest(method: "POST", headers: all, body: Data(body.utf8), path: "/mcp")
    }

    func post(_ body: String, headers: [String: String] = [:]) async -> HTTPResponse {
        await transport.handleRequest(Self.post(body, sessionID: sessionID, headers: headers))
    }

    /// A request without a body: a GET (the standalone stream, or a resumption) or a DELETE.
    func send(_ method: String, lastEventID: String? = nil, headers: [String: String] = [:]) async -> HTTPResponse {
        var all = [
            HTTPHeaderName.accept: "text/event-stream", HTTPHeaderName.sessionID: sessionID,
            HTTPHeaderName.protocolVersion: Self.protocolVersion,
        ]
        if let lastEventID { all[HTTPHeaderName.lastEventID] = lastEventID }
        all.merge(headers) { _, new in new }
        return await transport.handleRequest(HTTPRequest(method: method, headers: all, path: "/mcp"))
    }

    /// Calls `echo` with `text` and returns every event of the call's stream.
    func echo(_ text: String, id: Int, headers: [String: String] = [:]) async throws -> [ReadEvent] {
        let body = #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"echo","arguments":{"text":"\#(text)"}}}"#
        var reader = try EventReader(await post(body, headers: headers))
        return try await reader.rest()
    }

    func stop() async {
        await transport.disconnect()
        await server.stop()
    }
}

/// The text of an `echo` answer in a response event.
func echoed(_ event: ReadEvent?) -> String? {
    guard let result = event?.json?["result"] as? [String: Any], let content = result["content"] as? [[String: Any]] else {
        return nil
    }
    return content.first?["text"] as? String
}
