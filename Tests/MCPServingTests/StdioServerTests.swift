import Foundation
import Logging
import Synchronization
import TMWSMCPServing
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The stdio transport in both eras, over real pipes.
@Suite struct StdioServerTests {
    /// Runs a stdio server on pipes, writes `lines`, closes its input, and returns every line it wrote.
    func exchange(
        _ lines: [Data], server: TestServer = TestServer(), credential: String? = "key-env", openGate: Bool = true
    ) async throws
        -> [Data]
    {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        #expect(pipe(&input) == 0 && pipe(&output) == 0)
        let stdio = MCPStdioServer(
            dispatcher: server.dispatcher, credential: credential, input: input[0], output: output[1], logger: Logger(label: "test"))
        if openGate { server.gate.open() }
        let running = Task { await stdio.run() }
        for line in lines {
            var bytes = line
            bytes.append(0x0a)
            _ = bytes.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
        }
        close(input[1])
        await running.value
        close(output[1])
        var collected = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(output[0], &buffer, buffer.count)
            if count <= 0 { break }
            collected.append(contentsOf: buffer[0..<count])
        }
        close(output[0])
        close(input[0])
        return collected.split(separator: 0x0a).map { Data($0) }
    }

    @Test func modernRequestsNeedNoHandshake() async throws {
        let answers = try await exchange([Wire.body("server/discover", id: 1), Wire.call("echo", id: 2)]).map(Wire.json)
        #expect(answers.count == 2)
        let call = try #require(answers.first { $0["id"] as? Int == 2 }?["result"] as? [String: Any])
        #expect(call["resultType"] as? String == "complete")
        #expect((call["structuredContent"] as? [String: Any])?["credential"] as? String == "key-env")
        let discover = try #require(answers.first { $0["id"] as? Int == 1 }?["result"] as? [String: Any])
        #expect(discover["supportedVersions"] as? [String] == MCPProtocol.supportedVersions)
    }

    @Test func initializeSelectsTheLegacyRevision() async throws {
        let answers = try await exchange([
            Wire.call("echo", id: 1, meta: nil), Wire.initialize(id: 2), Wire.body("notifications/initialized", id: nil, meta: nil),
            Wire.call("echo", id: 3, meta: nil), Wire.body("ping", id: 4, meta: nil), Wire.call("echo", id: 5),
        ]).map(Wire.json)
        func answer(_ id: Int) -> [String: Any]? { answers.first { $0["id"] as? Int == id } }
        #expect((answer(1)?["error"] as? [String: Any])?["code"] as? Int == -32602)
        #expect((answer(2)?["result"] as? [String: Any])?["protocolVersion"] as? String == "2025-11-25")
        #expect((answer(3)?["result"] as? [String: Any])?["resultType"] == nil)
        #expect(answer(4)?["result"] != nil)
        // A modern request is still served statelessly in a legacy process.
        #expect((answer(5)?["result"] as? [String: Any])?["resultType"] as? String == "complete")
        #expect(answers.count == 5)
    }

    @Test func malformedLinesGetErrorsAndReadingGoesOn() async throws {
        let answers = try await exchange([
            Data("not json".utf8), Data(#"{"jsonrpc":"2.0","id":true,"method":"tools/list"}"#.utf8), Wire.body("tools/list", id: 9),
        ]).map(Wire.json)
        #expect(answers.count == 3)
        #expect(answers.filter { ($0["error"] as? [String: Any]) != nil }.count == 2)
        #expect(answers.contains { $0["id"] as? Int == 9 && $0["result"] != nil })
    }

    @Test func aCancelledRequestSendsNothing() async throws {
        let server = TestServer()
        let cancel = try JSONSerialization.data(withJSONObject: [
            "jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 1, "reason": "test"],
        ])
        let exchange = Task { try await self.exchange([Wire.call("wait", id: 1), cancel, Wire.call("echo", id: 2)], server: server, openGate: false) }
        while server.gate.arrived == 0 { try await Task.sleep(for: .milliseconds(1)) }
        server.gate.open()
        let answers = try await exchange.value.map(Wire.json)
        #expect(answers.map { $0["id"] as? Int } == [2])
    }

    /// A client that sends many requests and reads none of the answers for a while: the answers
    /// wait in the server's queue, not in `write(2)` calls on Swift's cooperative threads, so
    /// every request still runs to its end; once the client reads, it gets every answer, whole and in order
    /// of completion, and the server ends cleanly. (Before, each answer blocked a cooperative
    /// thread in `write(2)` once the 64 KB pipe was full, and the process stalled.)
    @Test func aClientThatStopsReadingHoldsNoCooperativeThread() async throws {
        let server = TestServer()
        server.gate.open()
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        #expect(pipe(&input) == 0 && pipe(&output) == 0)
        let stdio = MCPStdioServer(
            dispatcher: server.dispatcher, credential: "key-env", input: input[0], output: output[1], logger: Logger(label: "test"))
        let running = Task { await stdio.run() }
        let count = 2000
        let padding = String(repeating: "p", count: 200)  // every answer echoes it: ~600 KB of answers in all
        let requests = (1...count).map { id in Wire.call("echo", id: id, arguments: ["pad": padding]) }
        let (inputDone, allRan, lines) = try await offPool { [input, output, server] in
            var inputBytes = Data()
            for request in requests {
                inputBytes.append(request)
                inputBytes.append(0x0a)
            }
            // Written from a thread of its own: a server that stopped reading must not stall the check.
            let written = Mutex<Int?>(nil)
            Thread { [inputBytes] in
                let total = inputBytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(input[1], raw.baseAddress! + offset, raw.count - offset)
                        if n <= 0 { break }
                        offset += n
                    }
                    return offset
                }
                close(input[1])
                written.withLock { $0 = total }
            }.start()
            // Nobody reads the output yet: every request must still run to its end (its answer
            // queued), which it cannot while its task sits in a blocked write(2). Generous
            // deadline: under a loaded machine the tasks are slow, never stuck.
            let deadline = Date().addingTimeInterval(120)
            while server.echoes.count < count && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            let allRan = server.echoes.count == count
            // Now read every answer (this also frees the server if it was stuck).
            var collected = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            var newlines = 0
            while newlines < count {
                let n = read(output[0], &buffer, buffer.count)
                if n <= 0 { break }
                collected.append(contentsOf: buffer[0..<n])
                newlines += buffer[0..<n].reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
            }
            while written.withLock({ $0 }) == nil { Thread.sleep(forTimeInterval: 0.01) }
            return (written.withLock { $0 } == inputBytes.count, allRan, collected.split(separator: 0x0a).map { Data($0) })
        }
        await running.value
        close(output[1])
        close(output[0])
        close(input[0])
        #expect(inputDone)
        #expect(allRan, "requests stopped running while the client was not reading")
        let ids = lines.map { Wire.json($0)["id"] as? Int }
        #expect(Set(ids.compactMap { $0 }) == Set(1...count) && ids.count == count)
        #expect(lines.allSatisfy { ((Wire.json($0)["result"] as? [String: Any])?["structuredContent"] as? [String: Any]) != nil })
    }
}
