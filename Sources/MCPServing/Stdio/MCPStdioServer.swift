import Foundation
import Logging
import MCP
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves MCP over a pair of file descriptors (standard input and output by default), one
/// newline-delimited JSON-RPC message per line, in both eras: a request whose `_meta` names a
/// protocol version is served statelessly; `initialize` switches the process to the legacy
/// revision it negotiates.
///
/// A dedicated thread blocks in `read(2)` (no polling), parses each line and starts its request
/// as a task; the task writes its own answer with `write(2)` as soon as it has it when the pipe
/// has room for it, so a request crosses from the reader to the thread that runs it and nothing
/// else in between. An answer that does not fit goes to a writer thread instead (`LineWriter`),
/// so a client that stops reading never holds one of Swift's cooperative threads in a blocked
/// write; it only stops the server reading its further requests. Requests run concurrently and
/// answers may come out of order, as JSON-RPC allows. A `notifications/cancelled` cancels the
/// request it names, which then sends nothing.
public final class MCPStdioServer: Sendable {
    /// The longest line accepted; a longer one is dropped and reading goes on.
    public static let maximumMessageBytes = 4 << 20

    private let dispatcher: MCPDispatcher
    private let credential: String?
    private let input: Int32
    private let logger: Logger
    private let state = Mutex(State())
    private let writer: LineWriter

    private struct State {
        /// The legacy revision `initialize` negotiated, if any.
        var legacyVersion: String?
        /// Requests under way, by id.
        var running: [RequestID: Task<Void, Never>] = [:]
        /// Resumed when input ends and every request has been answered, or on ``stop()``.
        var finished: CheckedContinuation<Void, Never>?
        var inputEnded = false
        var stopped = false
    }

    /// - Parameters:
    ///   - dispatcher: answers the requests.
    ///   - credential: the caller's credential for every call (e.g. `TMWS_API_KEY`).
    ///   - input: the descriptor requests are read from, one JSON-RPC message per line.
    ///   - output: the descriptor answers are written to.
    ///   - logger: protocol and transport problems; never a credential.
    public init(
        dispatcher: MCPDispatcher, credential: String?, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.credential = credential
        self.input = input
        self.logger = logger
        writer = LineWriter(descriptor: output) { error in
            logger.error("stdout write failed; answers are dropped from now on", metadata: ["errno": "\(error)"])
        }
    }

    /// Serves until input ends and every request read has been answered, or until ``stop()``.
    public func run() async {
        await withCheckedContinuation { continuation in
            state.withLock { $0.finished = continuation }
            let thread = Thread { [self] in
                readLoop()
                finishIfDone(inputEnded: true)
            }
            thread.name = "tmws-mcp-stdin"
            thread.start()
        }
    }

    /// Stops serving: requests under way are cancelled and ``run()`` returns.
    public func stop() {
        let (continuation, tasks) = state.withLock { state in
            state.stopped = true
            defer { state.finished = nil }
            return (state.finished, Array(state.running.values))
        }
        for task in tasks { task.cancel() }
        writer.discard()
        continuation?.resume()
    }

    private func finishIfDone(inputEnded: Bool = false) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if inputEnded { state.inputEnded = true }
            guard state.inputEnded, state.running.isEmpty else { return nil }
            defer { state.finished = nil }
            return state.finished
        }
        // Returns only once every answer is out: the process may exit right after.
        if let continuation { writer.afterPendingWrites { continuation.resume() } }
    }

    // MARK: Messages

    /// Handles one line: answers what needs no I/O at once, starts a task for the rest.
    func handle(line: Data) {
        switch IncomingMessage.parse(line) {
        case .invalid(let error, let id):
            write(JSONRPCAnswer.error(id: id, error))
        case .response:
            logger.debug("ignoring a response from the client")
        case .notification(let method, let params):
            if method == "notifications/cancelled" { cancel(params) }
        case .request(let request):
            if request.method == "initialize" {
                let (answer, version) = dispatcher.initialize(request)
                state.withLock { $0.legacyVersion = version }
                logger.debug("legacy session over stdio", metadata: ["version": "\(version)"])
                write(answer.body)
                return
            }
            let accepted = state.withLock { state -> (version: String?, ok: Bool) in
                guard !state.stopped, state.running[request.id] == nil else { return (nil, false) }
                return (state.legacyVersion, true)
            }
            guard accepted.ok else {
                write(
                    JSONRPCAnswer.error(
                        id: request.id,
                        RPCError(code: MCPProtocol.ErrorCode.invalidRequest, message: "Invalid Request: a request with this id is already running")))
                return
            }
            let dispatcher = self.dispatcher, credential = self.credential, legacyVersion = accepted.version
            // Registered under the lock before it can finish, so its own removal always finds it.
            state.withLock { locked in
                locked.running[request.id] = Task { [self] in
                    let answer = await dispatcher.respond(to: request, legacyVersion: legacyVersion, credential: credential)
                    let current = state.withLock { $0.running.removeValue(forKey: request.id) != nil }
                    if current && !Task.isCancelled { write(answer.body) }
                    finishIfDone()
                }
            }
        }
    }

    /// `notifications/cancelled {requestId}`: the request sends nothing more.
    private func cancel(_ params: [String: Value]?) {
        let id: RequestID? =
            switch params?["requestId"] {
            case .int(let number)?: .number(number)
            case .string(let text)?: .string(text)
            default: nil
            }
        guard let id else { return }
        let task = state.withLock { $0.running.removeValue(forKey: id) }
        task?.cancel()
        if task != nil { finishIfDone() }
    }

    /// Writes one message and a newline, in full; messages never interleave.
    private func write(_ message: Data) {
        var line = message
        line.append(0x0a)
        writer.send(line)
    }

    /// Reads lines until end of input; an over-long line is dropped (with a warning) and reading goes on.
    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending = [UInt8]()
        var discarding = false
        func deliver() {
            if !pending.isEmpty, !pending.allSatisfy({ $0 == 0x20 || $0 == 0x0d || $0 == 0x09 }) {
                writer.waitForRoom()
                handle(line: Data(pending))
            }
            pending.removeAll(keepingCapacity: true)
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                logger.error("stdin read failed", metadata: ["errno": "\(errno)"])
                break
            }
            if count == 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == 0x0a {
                if !discarding {
                    if pending.count + (index - start) > Self.maximumMessageBytes {
                        logger.warning("dropping an oversized message", metadata: ["limit": "\(Self.maximumMessageBytes)"])
                        pending.removeAll(keepingCapacity: true)
                    } else {
                        pending.append(contentsOf: buffer[start..<index])
                        deliver()
                    }
                }
                discarding = false
                start = index + 1
            }
            if !discarding {
                if pending.count + (count - start) > Self.maximumMessageBytes {
                    logger.warning("dropping an oversized message", metadata: ["limit": "\(Self.maximumMessageBytes)"])
                    pending.removeAll()
                    discarding = true
                } else {
                    pending.append(contentsOf: buffer[start..<count])
                }
            }
        }
        if !discarding { deliver() }
    }
}
