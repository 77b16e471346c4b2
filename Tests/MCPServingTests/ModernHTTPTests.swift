import Foundation
import TMWSMCPServing
import Testing

/// The 2026-07-28 surface of Streamable HTTP: one plain POST, no handshake, no session.
@Suite struct ModernHTTPTests {
    let server = TestServer()

    @Test func aSinglePostAnswersAToolCall() async throws {
        let response = await server.endpoint.post(
            Wire.call("echo", arguments: ["x": 1]), Wire.headers("tools/call", name: "echo", bearer: "key-alice"))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("Mcp-Session-Id") == nil)
        let result = try #require(response.result)
        #expect(result["resultType"] as? String == "complete")
        let info = (result["_meta"] as? [String: Any])?["io.modelcontextprotocol/serverInfo"] as? [String: Any]
        #expect(info?["name"] as? String == "test-server" && info?["version"] as? String == "9.9")
        #expect((result["structuredContent"] as? [String: Any])?["credential"] as? String == "key-alice")
        #expect(response.json["id"] as? Int == 1)
    }

    /// Arguments arrive as the JSON they were: a string that looks like a data URL stays a string.
    @Test func argumentsKeepTheirJSONTypes() async throws {
        let arguments: [String: Any] = ["url": "data:text/plain;base64,aGk=", "n": 3, "x": 1.5, "b": true, "list": [1, "a"], "none": NSNull()]
        let response = await server.endpoint.post(
            Wire.call("echo", arguments: arguments), Wire.headers("tools/call", name: "echo", bearer: "key-a"))
        let echoed = try #require((response.result?["structuredContent"] as? [String: Any])?["arguments"] as? [String: Any])
        #expect(echoed["url"] as? String == "data:text/plain;base64,aGk=")
        #expect(echoed["n"] as? Int == 3 && echoed["x"] as? Double == 1.5 && echoed["b"] as? Bool == true)
        #expect((echoed["list"] as? [Any])?.count == 2 && echoed["none"] is NSNull)
    }

    @Test func discoverListsVersionsCapabilitiesAndCaching() async throws {
        let response = await server.endpoint.post(Wire.body("server/discover"), Wire.headers("server/discover"))
        #expect(response.status == 200)
        let result = try #require(response.result)
        #expect(result["supportedVersions"] as? [String] == MCPProtocol.supportedVersions)
        #expect((result["capabilities"] as? [String: Any])?["tools"] != nil)
        #expect(result["instructions"] as? String == "Test tools.")
        #expect(result["ttlMs"] as? Int == 3_600_000 && result["cacheScope"] as? String == "public")
        #expect(result["resultType"] as? String == "complete")
    }

    @Test func toolsListIsCacheableAndDeterministic() async throws {
        let first = await server.endpoint.post(Wire.body("tools/list"), Wire.headers("tools/list"))
        let second = await server.endpoint.post(Wire.body("tools/list"), Wire.headers("tools/list"))
        #expect(first.body == second.body)
        let result = try #require(first.result)
        #expect((result["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["echo", "wait"])
        #expect(result["ttlMs"] as? Int == 3_600_000 && result["cacheScope"] as? String == "public")
    }

    @Test(arguments: ["1900-01-01", "2025-11-25", "2026-07-29"])
    func anUnsupportedVersionIsRefusedWithTheSupportedOnes(_ version: String) async throws {
        var meta = Wire.meta
        meta["io.modelcontextprotocol/protocolVersion"] = version
        let response = await server.endpoint.post(
            Wire.call("echo", meta: meta), Wire.headers("tools/call", name: "echo", bearer: "key-a", version: version))
        #expect(response.status == 400)
        #expect(response.errorCode == -32022)
        let data = try #require((response.json["error"] as? [String: Any])?["data"] as? [String: Any])
        #expect(data["supported"] as? [String] == MCPProtocol.supportedVersions)
        #expect(data["requested"] as? String == version)
    }

    /// Missing and mismatched headers: `HeaderMismatch` (-32020) with 400, and the tool never runs.
    @Test func headersMustMatchTheBody() async throws {
        let body = Wire.call("echo")
        var cases: [(String, [String: String])] = []
        for header in ["MCP-Protocol-Version", "Mcp-Method", "Mcp-Name"] {
            var headers = Wire.headers("tools/call", name: "echo", bearer: "key-a")
            headers[header] = nil
            cases.append(("no \(header)", headers))
        }
        cases.append(("other version", Wire.headers("tools/call", name: "echo", bearer: "key-a", version: "2025-11-25")))
        cases.append(("other method", Wire.headers("tools/list", name: "echo", bearer: "key-a")))
        cases.append(("other name", Wire.headers("tools/call", name: "wait", bearer: "key-a")))
        cases.append(("name in other case", Wire.headers("tools/call", name: "ECHO", bearer: "key-a")))
        cases.append(("broken base64", Wire.headers("tools/call", name: "=?base64?!!!?=", bearer: "key-a")))
        cases.append(("base64 of another name", Wire.headers("tools/call", name: "=?base64?d2FpdA==?=", bearer: "key-a")))
        for (label, headers) in cases {
            let response = await server.endpoint.post(body, headers)
            #expect(response.status == 400, "\(label)")
            #expect(response.errorCode == -32020, "\(label)")
        }
        #expect(server.gate.arrived == 0)
        // The base64 sentinel form of the right name is accepted.
        let encoded = await server.endpoint.post(body, Wire.headers("tools/call", name: "=?base64?ZWNobw==?=", bearer: "key-a"))
        #expect(encoded.status == 200)
    }

    @Test func anUnknownMethodIs404AndNeverEchoed() async throws {
        let response = await server.endpoint.post(Wire.body("resources/list"), Wire.headers("resources/list"))
        #expect(response.status == 404)
        #expect(response.errorCode == -32601)
        #expect(!String(decoding: response.body, as: UTF8.self).contains("resources/list"))
        // ping is gone in 2026-07-28.
        #expect(await server.endpoint.post(Wire.body("ping"), Wire.headers("ping")).status == 404)
    }

    /// A 1 MB method name (attack 2) or `_meta` is refused before anything echoes it.
    @Test func oversizedMethodNamesAndMetaAreRefusedSmall() async throws {
        let huge = String(repeating: "m", count: 1 << 20)
        let method = await server.endpoint.post(Wire.body(huge), Wire.headers(huge))
        #expect(method.status == 400 && method.errorCode == -32600)
        #expect(method.body.count < 512)
        var meta = Wire.meta
        meta["io.modelcontextprotocol/clientInfo"] = ["name": huge, "version": "1"]
        let big = await server.endpoint.post(Wire.call("echo", meta: meta), Wire.headers("tools/call", name: "echo"))
        #expect(big.status == 400 && big.errorCode == -32602)
        #expect(big.body.count < 512)
    }

    @Test func malformedMetaIsInvalidParams() async throws {
        let cases: [[String: Any]] = [
            ["io.modelcontextprotocol/protocolVersion": 20260728, "io.modelcontextprotocol/clientCapabilities": [String: Any]()],
            ["io.modelcontextprotocol/protocolVersion": Wire.version],
            ["io.modelcontextprotocol/protocolVersion": Wire.version, "io.modelcontextprotocol/clientCapabilities": "all"],
            [
                "io.modelcontextprotocol/protocolVersion": Wire.version, "io.modelcontextprotocol/clientCapabilities": [String: Any](),
                "io.modelcontextprotocol/clientInfo": "me",
            ],
            [
                "io.modelcontextprotocol/protocolVersion": Wire.version, "io.modelcontextprotocol/clientCapabilities": [String: Any](),
                "io.modelcontextprotocol/logLevel": "loud",
            ],
        ]
        for meta in cases {
            let response = await server.endpoint.post(Wire.call("echo", meta: meta), Wire.headers("tools/call", name: "echo"))
            #expect(response.status == 400 && response.errorCode == -32602, "\(meta)")
        }
        let notObject = await server.endpoint.post(
            Wire.body("tools/call", params: ["name": "echo", "_meta": "x"], meta: nil), Wire.headers("tools/call", name: "echo"))
        #expect(notObject.status == 400 && notObject.errorCode == -32602)
        // No _meta and no session: a request of neither era.
        let bare = await server.endpoint.post(Wire.call("echo", meta: nil), Wire.headers("tools/call", name: "echo"))
        #expect(bare.status == 400 && bare.errorCode == -32602)
    }

    @Test func notificationsAre202AndEnvelopesAreChecked() async throws {
        let notification = await server.endpoint.post(Wire.body("notifications/cancelled", id: nil), Wire.headers("notifications/cancelled"))
        #expect(notification.status == 202 && notification.body.isEmpty)
        for (body, code) in [
            (Data("{".utf8), -32700), (Data("[]".utf8), -32700), (Data(#"{"jsonrpc":"2.0","id":true,"method":"tools/list"}"#.utf8), -32600),
            (Data(#"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#.utf8), -32600),
            (Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","result":{}}"#.utf8), -32600),
            (Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[1]}"#.utf8), -32600),
            // A body that names a member twice could mean one method to one reader and another to the next.
            (Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}"#.utf8), -32700),
            (Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{},"_meta":{}}}"#.utf8), -32700),
        ] {
            let response = await server.endpoint.post(body, Wire.headers("tools/list"))
            #expect(response.status == 400 && response.errorCode == code, "\(String(decoding: body, as: UTF8.self))")
        }
    }

    @Test func hostOriginAndMediaTypesAreChecked() async throws {
        var headers = Wire.headers("tools/list")
        headers["Host"] = "evil.example"
        #expect(await server.endpoint.post(Wire.body("tools/list"), headers).status == 403)
        headers = Wire.headers("tools/list")
        headers["Origin"] = "http://evil.example"
        #expect(await server.endpoint.post(Wire.body("tools/list"), headers).status == 403)
        headers["Origin"] = "http://localhost:3000"
        #expect(await server.endpoint.post(Wire.body("tools/list"), headers).status == 200)
        headers = Wire.headers("tools/list")
        headers["Content-Type"] = "text/plain"
        #expect(await server.endpoint.post(Wire.body("tools/list"), headers).status == 415)
        headers = Wire.headers("tools/list")
        headers["Accept"] = "text/html"
        #expect(await server.endpoint.post(Wire.body("tools/list"), headers).status == 406)
        #expect(await server.endpoint.handle(MCPHTTPRequest(method: "GET", headers: Wire.headers("x"), body: Data())).status == 405)
    }

    /// Attack 1, modern era: requests racing with the same id each run with their own credential
    /// and get their own answer.
    @Test func concurrentRequestsWithTheSameIDKeepTheirOwnCredential() async throws {
        let endpoint = server.endpoint
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for trial in 0..<200 {
                let bearer = trial % 2 == 0 ? "key-victim" : "key-attacker"
                group.addTask {
                    let response = await endpoint.post(Wire.call("echo", id: 7), Wire.headers("tools/call", name: "echo", bearer: bearer))
                    let structured = response.result?["structuredContent"] as? [String: Any]
                    return structured?["credential"] as? String == bearer
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
