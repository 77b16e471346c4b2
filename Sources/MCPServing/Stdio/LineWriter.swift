import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole lines to a file descriptor in the order they are sent, without ever blocking the
/// sender's thread on a reader that does not read.
///
/// A line that fits the pipe's atomic size (`PIPE_BUF`) goes out at once from the sender's thread
/// when nothing is queued and `poll(2)` says the descriptor has room, so an answer costs one
/// `write(2)` and no thread hop. Otherwise it is queued and a writer thread (started when there
/// is a queue, ended when it is empty) writes it; Swift's cooperative threads never sit in a
/// blocking `write(2)`. The reader of the input calls ``waitForRoom()`` before each new request,
/// so a client that stops reading its answers stops being read: the queue stays bounded.
final class LineWriter: @unchecked Sendable {
    private let descriptor: Int32
    /// Queued bytes beyond which ``waitForRoom()`` blocks.
    let highWater: Int
    private let onError: @Sendable (Int32) -> Void
    // Guarded by `condition`:
    private let condition = NSCondition()
    private var queue: [Data] = []
    private var head = 0
    private var queuedBytes = 0
    private var writerRunning = false
    private var failed = false
    private var whenFlushed: [@Sendable () -> Void] = []

    init(descriptor: Int32, highWater: Int = 4 << 20, onError: @escaping @Sendable (Int32) -> Void) {
        self.descriptor = descriptor
        self.highWater = highWater
        self.onError = onError
    }

    /// Sends `line` (which must end with a newline), after every line sent before it.
    func send(_ line: Data) {
        condition.lock()
        defer { condition.unlock() }
        guard !failed else { return }
        var rest = line
        if !writerRunning, line.count <= Int(PIPE_BUF), hasRoom() {
            // The descriptor has room for an atomic write of this size: this does not block.
            switch write(line, blocking: false) {
            case .done: return
            case .failed(let error):
                fail(error)
                return
            case .wouldBlock(let written): rest = line.dropFirst(written)
            }
        }
        queue.append(rest)
        queuedBytes += rest.count
        if !writerRunning {
            writerRunning = true
            let thread = Thread { [self] in drain() }
            thread.name = "tmws-mcp-stdout"
            thread.start()
        }
    }

    /// Runs `action` once every line sent so far has been written (at once if none is queued).
    func afterPendingWrites(_ action: @escaping @Sendable () -> Void) {
        condition.lock()
        guard writerRunning else {
            condition.unlock()
            action()
            return
        }
        whenFlushed.append(action)
        condition.unlock()
    }

    /// Blocks while more than ``highWater`` bytes wait to be written (never on a cooperative thread).
    func waitForRoom() {
        condition.lock()
        while queuedBytes > highWater && !failed { condition.wait() }
        condition.unlock()
    }

    /// Drops what is queued and refuses later lines (the server stopped).
    func discard() {
        condition.lock()
        failed = true
        queue.removeAll()
        head = 0
        queuedBytes = 0
        condition.broadcast()
        condition.unlock()
    }

    /// The writer thread: writes queued lines until none is left.
    private func drain() {
        condition.lock()
        while head < queue.count, !failed {
            let line = queue[head]
            condition.unlock()
            let outcome = write(line, blocking: true)
            condition.lock()
            if failed { break }
            if case .failed(let error) = outcome {
                fail(error)
                break
            }
            head += 1
            queuedBytes -= line.count
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.broadcast()
        }
        writerRunning = false
        let actions = whenFlushed
        whenFlushed = []
        condition.broadcast()
        condition.unlock()
        for action in actions { action() }
    }

    private func fail(_ error: Int32) {
        failed = true
        queue.removeAll()
        head = 0
        queuedBytes = 0
        condition.broadcast()
        onError(error)
    }

    private func hasRoom() -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLOUT) != 0
    }

    private enum Outcome {
        case done
        case failed(Int32)
        /// The descriptor is non-blocking and full after `written` bytes.
        case wouldBlock(written: Int)
    }

    /// Writes all of `line`. When `blocking`, a descriptor left non-blocking by whoever opened it
    /// is waited for with `poll(2)`; otherwise a full one ends the attempt.
    private func write(_ line: Data, blocking: Bool) -> Outcome {
        line.withUnsafeBytes { raw -> Outcome in
            var offset = 0
            while offset < raw.count {
                let written = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written >= 0 {
                    offset += written
                    continue
                }
                let error = errno
                if error == EINTR { continue }
                guard error == EAGAIN || error == EWOULDBLOCK else { return .failed(error) }
                guard blocking else { return .wouldBlock(written: offset) }
                var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&entry, 1, -1)
            }
            return .done
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
