import Foundation
import MCP
import TMWSMCP
import Testing

/// ``SessionHTTPTransport`` under an MCP `Server`, driven in process with HTTP requests.
@Suite(.timeLimit(.minutes(1)))
struct SessionHTTPTransportTests {
    @Test func eachCallIsAnsweredOnItsOwnStreamAfterAPrimingEvent() async throws {
        try await HTTPSessionDriver.with { session in
            let events = try await session.echo("hi", id: 1, headers: [HTTPHeaderName.authorization: "Bearer k"])
            #expect(events.count == 2)
            #expect(events.first?.isPriming == true)
            #expect(events.last?.event == "message")
            #expect(echoed(events.last) == "hi|Bearer k")
            let ids = events.compactMap(\.id)
            #expect(ids.count == 2 && Set(ids).count == 2)
        }
    }

    @Test(arguments: [
        SessionHTTPTransport.ReplayLimits(events: 16, bytes: 1 << 20),
        SessionHTTPTransport.ReplayLimits(events: 1_000, bytes: 4_096),
        .standard,
    ])
    func aLongSessionKeepsNoMoreThanItsLimits(limits: SessionHTTPTransport.ReplayLimits) async throws {
        try await HTTPSessionDriver.with(limits: limits) { session in
            let text = String(repeating: "x", count: 500)
            for call in 1...400 {
                let events = try await session.echo(text, id: call)
                #expect(echoed(events.last) == text + "|-")
                let usage = await session.transport.replayBufferUsage
                #expect(usage.events <= limits.events && usage.bytes <= limits.bytes, "after call \(call): \(usage)")
            }
            #expect(await session.transport.replayBufferUsage.events > 0)
        }
    }

    @Test func resumingAnAnsweredCallReplaysItsResponseAndEnds() async throws {
        try await HTTPSessionDriver.with { session in
            let call = try await session.echo("first", id: 1)
            _ = try await session.echo("second", id: 2)
            let priming = try #require(call.first?.id)
            var reader = try EventReader(await session.send("GET", lastEventID: priming))
            let replayed = try await reader.rest()
            #expect(replayed == [call[1]])
        }
    }

    @Test func resumingTheStandaloneStreamReplaysOnlyWhatFollowedOnIt() async throws {
        try await HTTPSessionDriver.with { session in
            var stream = try EventReader(await session.send("GET"))
            #expect(try await stream.next()?.isPriming == true)
            for n in 1...3 {
                try await session.transport.send(Data(#"{"jsonrpc":"2.0","method":"notifications/n\#(n)"}"#.utf8))
                _ = try await session.echo("between", id: n)
            }
            let sent = try await stream.take(3)
            #expect(sent.map { $0.json?["method"] as? String } == ["notifications/n1", "notifications/n2", "notifications/n3"])

            // The client lost the stream after n1 and resumes: n2 and n3 again, a new priming event,
            // and what comes next; the lost stream is ended.
            var resumed = try EventReader(await session.send("GET", lastEventID: try #require(sent[0].id)))
            let replayed = try await resumed.take(3)
            #expect(Array(replayed.prefix(2)) == Array(sent.suffix(2)))
            #expect(replayed.last?.isPriming == true)
            try await session.transport.send(Data(#"{"jsonrpc":"2.0","method":"notifications/n4"}"#.utf8))
            #expect(try await resumed.next()?.json?["method"] as? String == "notifications/n4")
            #expect(try await stream.next() == nil)
        }
    }

    @Test func anEvictedIDIsRefusedAsAnUnknownOneIs() async throws {
        try await HTTPSessionDriver.with(limits: .init(events: 8, bytes: 1 << 20)) { session in
            let first = try await session.echo("old", id: 1)
            var last: [ReadEvent] = []
            for call in 2...10 { last = try await session.echo("new", id: call) }
            // The newest call can still be resumed; the first one's events are gone.
            var reader = try EventReader(await session.send("GET", lastEventID: try #require(last.first?.id)))
            #expect(try await reader.rest() == [last[1]])
            for id in [first[0].id, first[1].id, "0", "999999", "abc", "", "01", "-1", "18446744073709551616"] {
                let response = await session.send("GET", lastEventID: id)
                guard case .error(400, .invalidRequest, let sessionID, _) = response else {
                    Issue.record("Last-Event-ID \(id ?? "nil"): \(response.statusCode)")
                    continue
                }
                #expect(sessionID == session.sessionID)
            }
        }
    }

    @Test func deleteEndsTheSession() async throws {
        try await HTTPSessionDriver.with { session in
            var stream = try EventReader(await session.send("GET"))
            #expect(try await stream.next()?.isPriming == true)
            _ = try await session.echo("x", id: 1)

            let delete = await session.send("DELETE")
            #expect(delete.statusCode == 200)
            #expect(delete.headers[HTTPHeaderName.sessionID] == session.sessionID)
            #expect(try await stream.next() == nil)
            #expect(await session.transport.replayBufferUsage.events == 0)
            #expect(await session.post(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#).statusCode == 404)
            #expect(await session.send("GET").statusCode == 404)
            await #expect(throws: MCPError.connectionClosed) {
                try await session.transport.send(Data(#"{"jsonrpc":"2.0","method":"notifications/late"}"#.utf8))
            }
        }
    }

    /// Requests the SDK's validation pipeline and method routing refuse, with the same statuses.
    enum Refused: String, CaseIterable {
        case missingSession, unknownSession, jsonOnlyAccept, textContentType, foreignOrigin, unsupportedVersion
        case put, secondGet, reinitialize, emptyBody, notJSONRPC

        var status: Int {
            switch self {
            case .missingSession, .unsupportedVersion, .reinitialize, .emptyBody, .notJSONRPC: 400
            case .unknownSession: 404
            case .jsonOnlyAccept: 406
            case .textContentType: 415
            case .foreignOrigin: 403
            case .put: 405
            case .secondGet: 409
            }
        }
    }

    @Test(arguments: Refused.allCases)
    func invalidRequestsAreRefused(_ refused: Refused) async throws {
        try await HTTPSessionDriver.with { session in
            let ping = #"{"jsonrpc":"2.0","id":9,"method":"ping"}"#
            if refused == .secondGet { #expect(await session.send("GET").statusCode == 200) }
            let stored = await session.transport.replayBufferUsage.events
            let response: HTTPResponse
            switch refused {
            case .missingSession:
                response = await session.transport.handleRequest(HTTPSessionDriver.post(ping, sessionID: nil))
            case .unknownSession:
                response = await session.post(ping, headers: [HTTPHeaderName.sessionID: "other"])
            case .jsonOnlyAccept:
                response = await session.post(ping, headers: [HTTPHeaderName.accept: "application/json"])
            case .textContentType:
                response = await session.post(ping, headers: [HTTPHeaderName.contentType: "text/plain"])
            case .foreignOrigin:
                response = await session.post(ping, headers: [HTTPHeaderName.origin: "http://evil.example"])
            case .unsupportedVersion:
                response = await session.post(ping, headers: [HTTPHeaderName.protocolVersion: "1999-01-01"])
            case .put:
                response = await session.send("PUT")
            case .secondGet:
                response = await session.send("GET")
            case .reinitialize:
                response = await session.post(
                    #"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
            case .emptyBody:
                response = await session.post("")
            case .notJSONRPC:
                response = await session.post("[1, 2]")
            }
            #expect(response.statusCode == refused.status)
            #expect(await session.transport.replayBufferUsage.events == stored)
        }
    }
}
