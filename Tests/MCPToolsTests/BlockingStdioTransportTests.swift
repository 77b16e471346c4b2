import Foundation
import MCP
import TMWSMCP
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A transport reading from one pipe and writing to another. Closing ``input`` ends its read loop.
struct PipedTransport {
    let transport: BlockingStdioTransport
    /// The write end of the transport's input.
    let input: Int32
    /// The read end of the transport's output.
    let output: Int32
    private let fds: [Int32]

    init() throws {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
        try #require(pipe(&inPipe) == 0)
        try #require(pipe(&outPipe) == 0)
        transport = BlockingStdioTransport(input: inPipe[0], output: outPipe[1])
        input = inPipe[1]
        output = outPipe[0]
        fds = [inPipe[0], outPipe[1], outPipe[0]]
    }

    /// Writes all of `bytes` to the transport's input, on a thread of its own (a write larger than
    /// the pipe's buffer blocks until the transport reads).
    func feed(_ bytes: [UInt8]) async {
        let fd = input
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                bytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if written < 0 { if errno == EINTR { continue } else { break } }
                        offset += written
                    }
                }
                done.resume()
            }.start()
        }
    }

    func feed(_ text: String) async { await feed(Array(text.utf8)) }

    /// The next `count` messages, or fewer if the stream ends or `timeout` passes.
    func receive(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        let stream = transport.receive()
        return try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask {
                var messages: [String] = []
                for try await data in stream {
                    messages.append(String(decoding: data, as: UTF8.self))
                    if messages.count == count { break }
                }
                return messages
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return try #require(first, "timed out waiting for \(count) messages")
        }
    }

    /// Reads from the transport's output until `count` bytes have arrived.
    func drain(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while result.count < count {
            let n = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, min($0.count, count - result.count)) }
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result
    }

    /// Ends the input (the read loop sees EOF and its thread ends) and closes the output pipe.
    ///
    /// The transport's read end is deliberately left open: its thread may be between two
    /// `read(2)` calls, and closing the descriptor could let another test's `pipe()` reuse the
    /// number under that thread, which would then steal the other test's input.
    func shutdown() async {
        closeInput()
        await closeRest()
    }

    func closeInput() { close(input) }

    func closeRest() async {
        await transport.disconnect()
        for fd in fds.dropFirst() { close(fd) }
    }
}

@Suite struct BlockingStdioTransportTests {
    @Test func splitsAndJoinsLines() async throws {
        let pipe = try PipedTransport()
        try await pipe.transport.connect()
        // Two messages in one write, a blank line, then one message split across two writes.
        await pipe.feed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n{\"b\":2}\n\n")
        await pipe.feed("{\"c\":")
        try await Task.sleep(for: .milliseconds(50))
        await pipe.feed("3}\n")
        let messages = try await pipe.receive(3)
        #expect(messages == ["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "{\"b\":2}", "{\"c\":3}"])
        await pipe.shutdown()
    }

    @Test func endOfInputEndsTheStream() async throws {
        let pipe = try PipedTransport()
        try await pipe.transport.connect()
        await pipe.feed("{\"a\":1}\n{\"partial\":")
        pipe.closeInput()
        // The unterminated tail is not a message; the stream finishes.
        let messages = try await pipe.receive(2)
        #expect(messages == ["{\"a\":1}"])
        await pipe.closeRest()
    }

    /// A line far beyond the limit is dropped and reading goes on with the next line.
    @Test func dropsAFarOversizedLine() async throws {
        let pipe = try PipedTransport()
        try await pipe.transport.connect()
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: BlockingStdioTransport.maximumMessageBytes + 200_000)
        await pipe.feed(huge + Array("\n{\"next\":1}\n".utf8))
        let messages = try await pipe.receive(1)
        #expect(messages == ["{\"next\":1}"])
        await pipe.shutdown()
    }

    /// A line one byte over the limit is dropped too; a line exactly at the limit is delivered.
    @Test func theLimitIsExact() async throws {
        let pipe = try PipedTransport()
        try await pipe.transport.connect()
        let limit = BlockingStdioTransport.maximumMessageBytes
        let over = [UInt8](repeating: UInt8(ascii: "o"), count: limit + 1)
        let exact = [UInt8](repeating: UInt8(ascii: "e"), count: limit)
        await pipe.feed(over + [0x0a] + exact + Array("\n{\"next\":1}\n".utf8))
        let messages = try await pipe.receive(2)
        // Compare sizes and first bytes only: the messages are megabytes long.
        #expect(messages.map(\.utf8.count) == [limit, 10], "a line of \(limit + 1) bytes got through")
        #expect(messages.map { $0.utf8.first } == [UInt8(ascii: "e"), UInt8(ascii: "{")])
        await pipe.shutdown()
    }

    @Test func sendWritesOneLinePerMessage() async throws {
        let pipe = try PipedTransport()
        try await pipe.transport.connect()
        let first = Data("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".utf8)
        let second = Data("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}".utf8)
        try await pipe.transport.send(first)
        try await pipe.transport.send(second)
        let bytes = pipe.drain(first.count + second.count + 2)
        #expect(bytes == Array(first) + [0x0a] + Array(second) + [0x0a])
        await pipe.shutdown()
    }

    /// An SDK server over the transport answers `initialize` on the output pipe.
    @Test func servesAnMCPSession() async throws {
        let pipe = try PipedTransport()
        let server = Server(name: "t", version: "1", capabilities: .init(tools: .init()))
        try await server.start(transport: pipe.transport)
        let request = #"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#
        await pipe.feed(request + "\n")
        var line: [UInt8] = []
        while line.last != 0x0a {
            let byte = pipe.drain(1)
            if byte.isEmpty { break }
            line += byte
        }
        let response = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        #expect(response?["id"] as? Int == 7)
        #expect(response?["result"] != nil)
        await server.stop()
        await pipe.shutdown()
    }
}

/// A request whose id is not a string or an integer, or that carries `result` or `error`, is one
/// the SDK's server would never answer: the transport answers it with `Invalid Request` instead of
/// leaving the client waiting, and goes on reading.
@Suite struct StdioEnvelopeRefusalTests {
    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":true,"method":"tools/list"}"#,
        #"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#,
        #"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}"#,
        #"{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"tools/list","result":{}}"#,
    ])
    func unanswerableRequestsGetAnInvalidRequestError(line: String) async throws {
        let piped = try PipedTransport()
        try await piped.transport.connect()
        let valid = #"{"jsonrpc":"2.0","id":8,"method":"tools/list"}"#
        await piped.feed(line + "\n" + valid + "\n")
        // Only the valid request reaches the server.
        #expect(try await piped.receive(1) == [valid])
        var answer: [UInt8] = []
        while answer.last != 0x0a {
            let byte = piped.drain(1)
            if byte.isEmpty { break }
            answer += byte
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
        #expect(object["id"] is NSNull)
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? Int == -32600)
        #expect((error["message"] as? String)?.contains("id") == true || (error["message"] as? String)?.contains("result") == true)
        await piped.shutdown()
    }
}
