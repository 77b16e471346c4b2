import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TMWSMCPServing
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Hummingbird application, in process and over loopback.
@Suite struct HTTPApplicationTests {
    static func app(_ server: TestServer, limits: MCPHTTPLimits = MCPHTTPLimits(), healthy: Bool = true) -> some ApplicationProtocol {
        MCPHTTPApplication.application(
            endpoint: server.endpoint, health: { HealthReport(healthy: healthy, reason: healthy ? nil : "storage unavailable") },
            host: "127.0.0.1", port: 0, limits: limits, logger: Logger(label: "test"))
    }

    static func fields(_ headers: [String: String]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers where name != "Host" { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    @Test func routesMCPAndHealth() async throws {
        let server = TestServer()
        try await Self.app(server).test(.router) { client in
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: Self.fields(Wire.headers("tools/call", name: "echo", bearer: "key-a")),
                body: ByteBuffer(bytes: Wire.call("echo")))
            #expect(response.status == .ok)
            #expect(Wire.json(Data(response.body.readableBytesView))["result"] != nil)
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok && String(buffer: health.body) == #"{"status":"healthy"}"#)
        }
        try await Self.app(server, healthy: false).test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .serviceUnavailable && String(buffer: health.body).contains("storage unavailable"))
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let server = TestServer()
        try await Self.app(server, limits: MCPHTTPLimits(maxBodyBytes: 1024)).test(.router) { client in
            let big = ByteBuffer(bytes: Wire.call("echo", arguments: ["pad": String(repeating: "p", count: 2000)]))
            let response = try await client.execute(
                uri: "/mcp", method: .post, headers: Self.fields(Wire.headers("tools/call", name: "echo", bearer: "key-a")), body: big)
            #expect(response.status == .contentTooLarge)
        }
    }

    /// Attack 3: connections beyond the per-peer limit are closed at once, and a request that does
    /// not arrive whole within the deadline (slow headers, or an idle socket) loses its connection.
    @Test func connectionsAreLimitedPerPeerAndMustSendRequestsInTime() async throws {
        let server = TestServer()
        let limits = MCPHTTPLimits(maxConnections: 64, maxConnectionsPerPeer: 2, requestDeadline: .seconds(1))
        try await Self.app(server, limits: limits).test(.live) { client in
            let port = try #require(client.port)
            // The sockets block in poll(2), so they run on a thread of their own: on the
            // cooperative pool they would starve the server's own tasks (Hummingbird handles
            // connections there) while the rest of the suite keeps the other threads busy.
            let outcome = try await offPool {
                let first = try Socket(port: port), second = try Socket(port: port)
                first.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  // headers never finished
                let third = try Socket(port: port)
                let refused = third.closedWithin(seconds: 10)
                let started = ContinuousClock.now
                let slowClosed = first.closedWithin(seconds: 10)
                let idleClosed = second.closedWithin(seconds: 10)
                let elapsed = ContinuousClock.now - started
                withExtendedLifetime((first, second, third)) {}
                // The places are free again: a complete request is answered.
                let fresh = try Socket(port: port)
                fresh.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return (refused, slowClosed, idleClosed, elapsed, fresh.readSome(seconds: 10))
            }
            #expect(outcome.0, "a third connection from the same peer is refused")
            #expect(outcome.1, "slow headers lose the connection")
            #expect(outcome.2, "an idle connection is closed")
            #expect(outcome.3 < .seconds(8))
            #expect(outcome.4.hasPrefix("HTTP/1.1 200"))
        }
    }
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A blocking loopback TCP socket for the connection tests.
final class Socket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }

    /// Whether the peer closes the connection within `seconds` (reads return 0 or fail).
    func closedWithin(seconds: Int) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if poll(&poller, 1, 100) < 0 {
                if errno == EINTR { continue }
                return false
            }
            if poller.revents != 0 {
                var byte: UInt8 = 0
                let count = read(fd, &byte, 1)
                if count <= 0 { return true }
            }
        }
        return false
    }

    func readSome(seconds: Int) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return "" }
        let count = read(fd, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }
}
