import Foundation
import TMWSMCPServing
import Testing

/// Legacy (2025-11-25) sessions: opened only with a valid credential, bound to it, capped, and
/// with nothing to replay.
@Suite struct LegacySessionTests {
    func open(_ server: TestServer, _ bearer: String?) async -> MCPHTTPResponse {
        await server.endpoint.post(Wire.initialize(), Wire.legacyHeaders(bearer: bearer))
    }

    func session(_ server: TestServer, _ bearer: String) async throws -> String {
        let response = await open(server, bearer)
        #expect(response.status == 200)
        #expect(response.result?["protocolVersion"] as? String == "2025-11-25")
        return try #require(response.header("Mcp-Session-Id"))
    }

    @Test func initializeNeedsAValidCredential() async throws {
        let server = TestServer()
        for bearer in [nil, "", "wrong"] as [String?] {
            let response = await open(server, bearer)
            #expect(response.status == 401)
            #expect(response.header("Mcp-Session-Id") == nil)
        }
        #expect(server.endpoint.sessions.count == 0)
    }

    @Test func aSessionServesOnlyTheCredentialThatOpenedIt() async throws {
        let server = TestServer()
        let id = try await session(server, "key-victim")
        #expect(id.utf8.count >= 43)
        let own = await server.endpoint.post(Wire.call("echo", meta: nil), Wire.legacyHeaders(bearer: "key-victim", session: id))
        #expect(own.status == 200)
        #expect((own.result?["structuredContent"] as? [String: Any])?["credential"] as? String == "key-victim")
        #expect(own.result?["resultType"] == nil)
        for bearer in [nil, "key-attacker", "key-victim "] as [String?] {
            let other = await server.endpoint.post(Wire.call("echo", meta: nil), Wire.legacyHeaders(bearer: bearer, session: id))
            #expect(other.status == (bearer == "key-victim " ? 200 : 403), "\(bearer ?? "none")")
            let delete = await server.endpoint.handle(MCPHTTPRequest(method: "DELETE", headers: Wire.legacyHeaders(bearer: bearer, session: id), body: Data()))
            #expect(delete.status == (bearer == "key-victim " ? 200 : 403))
            if delete.status == 200 { break }
        }
        // A GET with a session id and Last-Event-ID replays nothing.
        var headers = Wire.legacyHeaders(bearer: "key-victim", session: id)
        headers["Last-Event-ID"] = "1"
        #expect(await server.endpoint.handle(MCPHTTPRequest(method: "GET", headers: headers, body: Data())).status == 405)
    }

    @Test func unknownSessionsAre404AndDeleteEndsASession() async throws {
        let server = TestServer()
        let id = try await session(server, "key-a")
        #expect(await server.endpoint.post(Wire.call("echo", meta: nil), Wire.legacyHeaders(bearer: "key-a", session: id + "x")).status == 404)
        let delete = await server.endpoint.handle(MCPHTTPRequest(method: "DELETE", headers: Wire.legacyHeaders(bearer: "key-a", session: id), body: Data()))
        #expect(delete.status == 200)
        #expect(await server.endpoint.post(Wire.call("echo", meta: nil), Wire.legacyHeaders(bearer: "key-a", session: id)).status == 404)
        #expect(server.endpoint.sessions.count == 0)
    }

    /// Attack 1, legacy era: a second POST with an id already under way is refused (409) and
    /// never takes over the first one's answer or credential.
    @Test func aPendingIDCannotBeReused() async throws {
        let server = TestServer()
        let id = try await session(server, "key-victim")
        let endpoint = server.endpoint
        let first = Task { await endpoint.post(Wire.call("wait", id: 5, meta: nil), Wire.legacyHeaders(bearer: "key-victim", session: id)) }
        while server.gate.arrived == 0 { try await Task.sleep(for: .milliseconds(1)) }
        let second = await endpoint.post(Wire.call("echo", id: 5, meta: nil), Wire.legacyHeaders(bearer: "key-victim", session: id))
        #expect(second.status == 409)
        server.gate.open()
        let answer = await first.value
        #expect(answer.status == 200 && answer.json["id"] as? Int == 5)
        // Once answered, the id may be used again.
        #expect(await endpoint.post(Wire.call("echo", id: 5, meta: nil), Wire.legacyHeaders(bearer: "key-victim", session: id)).status == 200)
    }

    @Test func sessionsAreCappedPerOwnerAndInTotalWithoutRaces() async throws {
        let server = TestServer(limits: .init(total: 10, perOwner: 3))
        for _ in 0..<3 { _ = try await session(server, "key-alice") }
        #expect(await open(server, "key-alice").status == 429)
        let endpoint = server.endpoint
        // Many owners at once: exactly the remaining 7 places are handed out.
        let statuses = await withTaskGroup(of: Int.self) { group in
            for owner in 0..<50 { group.addTask { await endpoint.post(Wire.initialize(), Wire.legacyHeaders(bearer: "key-o\(owner)")).status } }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 7)
        #expect(statuses.filter { $0 == 503 }.count == 43)
        #expect(endpoint.sessions.count == 10)
    }

    @Test func idleSessionsExpire() async throws {
        let server = TestServer(limits: .init(idleTimeout: .seconds(60)))
        _ = try await session(server, "key-a")
        #expect(server.endpoint.sessions.expireIdle(now: .now + .seconds(30)) == 0)
        #expect(server.endpoint.sessions.expireIdle(now: .now + .seconds(61)) == 1)
        #expect(server.endpoint.sessions.count == 0)
    }

    @Test func modernRequestsIgnoreASessionHeader() async throws {
        let server = TestServer()
        var headers = Wire.headers("tools/call", name: "echo", bearer: "key-a")
        headers["Mcp-Session-Id"] = "made-up"
        let response = await server.endpoint.post(Wire.call("echo"), headers)
        #expect(response.status == 200 && response.header("Mcp-Session-Id") == nil)
    }
}
