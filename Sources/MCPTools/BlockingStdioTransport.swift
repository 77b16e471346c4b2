import Foundation
import Logging
import MCP
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A newline-delimited JSON-RPC transport over standard input and output that blocks in `read(2)`
/// on a dedicated thread.
///
/// The SDK's `StdioTransport` polls a non-blocking stdin with 10 ms sleeps, which puts a 10 ms
/// floor under every call; this one wakes as soon as a byte arrives. Output is written with
/// `write(2)` in full, one message per line. Nothing else may write to standard output.
public actor BlockingStdioTransport: Transport {
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var started = false
    private let inFlight = InFlightCounter()
    /// The longest line accepted; a longer one is dropped and reading goes on.
    public static let maximumMessageBytes = 4 << 20

    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger = Logger(label: "tmws.mcp.stdio")) {
        self.input = input
        self.output = output
        self.logger = logger
        (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
    }

    public func connect() async throws {
        guard !started else { return }
        started = true
        let input = self.input, continuation = self.continuation, logger = self.logger, inFlight = self.inFlight
        let thread = Thread { [self] in
            Self.readLoop(fd: input, continuation: continuation, inFlight: inFlight, logger: logger) { answer in
                // Counted in flight until written, so that `drain` waits for it too.
                inFlight.add(1)
                Task {
                    try? await self.writeLine(answer)
                    inFlight.add(-1)
                }
            }
        }
        thread.name = "tmws-stdin"
        thread.start()
    }

    public func disconnect() async {
        continuation.finish()
    }

    /// Waits until every request read so far has been answered (or `timeout` passes), so that a
    /// client that closes stdin right after its last request still gets its answer.
    public func drain(timeout: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + timeout
        while inFlight.count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    public func send(_ data: Data) async throws {
        if Self.kind(of: data) == .response { inFlight.add(-1) }
        try writeLine(data)
    }

    /// Writes one message and a newline, in full.
    private func writeLine(_ data: Data) throws {
        var message = data
        message.append(0x0a)
        try message.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(output, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
                offset += written
            }
        }
    }

    public nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        stream
    }

    /// Reads lines until end of input. A line that is a request the SDK would not answer (an `id`
    /// that is not a string or an integer, or `result`/`error` beside `method`) is answered here
    /// through `refuse` with an `Invalid Request` error and not delivered.
    private static func readLoop(
        fd: Int32, continuation: AsyncThrowingStream<Data, any Error>.Continuation, inFlight: InFlightCounter, logger: Logger,
        refuse: (Data) -> Void
    ) {
        func deliver(_ bytes: [UInt8]) {
            let data = Data(bytes)
            if let problem = JSONRPCEnvelope.problem(in: data) {
                logger.debug("refusing a malformed request", metadata: ["problem": "\(problem)"])
                refuse(JSONRPCEnvelope.invalidRequestAnswer(problem))
                return
            }
            if kind(of: data) == .request { inFlight.add(1) }
            continuation.yield(data)
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending = [UInt8]()
        var discarding = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                logger.error("stdin read failed", metadata: ["errno": "\(errno)"])
                break
            }
            if count == 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == 0x0a {
                if !discarding {
                    if pending.count + (index - start) > maximumMessageBytes {
                        logger.warning("dropping an oversized message", metadata: ["limit": "\(maximumMessageBytes)"])
                    } else {
                        pending.append(contentsOf: buffer[start..<index])
                        if !pending.isEmpty { deliver(pending) }
                    }
                }
                pending.removeAll(keepingCapacity: true)
                discarding = false
                start = index + 1
            }
            if !discarding {
                if pending.count + (count - start) > maximumMessageBytes {
                    logger.warning("dropping an oversized message", metadata: ["limit": "\(maximumMessageBytes)"])
                    pending.removeAll()
                    discarding = true
                } else {
                    pending.append(contentsOf: buffer[start..<count])
                }
            }
        }
        continuation.finish()
    }

    enum Kind { case request, response, other }

    /// Whether a message is a request (has `method` and `id`) or a response (has `id`, no `method`).
    static func kind(of data: Data) -> Kind {
        guard data.first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["id"] != nil
        else { return .other }
        return object["method"] == nil ? .response : .request
    }
}

/// Requests read but not yet answered.
final class InFlightCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add(_ delta: Int) { value.withLock { $0 = max(0, $0 + delta) } }
}
