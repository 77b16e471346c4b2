import Foundation
import TMWSMCP
import Testing

/// The bounded event store behind ``SessionHTTPTransport``, without a transport.
struct ReplayBufferTests {
    static func message(_ size: Int, _ fill: Character = "m") -> Data { Data(String(repeating: fill, count: size).utf8) }

    @Test(arguments: [1, 2, 3, 16, 256])
    func neverHoldsMoreEventsThanItsBound(maximum: Int) {
        var buffer = ReplayBuffer(maximumEvents: maximum, maximumBytes: .max)
        var ids: [String] = []
        for n in 0..<1_000 {
            ids.append(buffer.append(stream: UInt64(n % 3), message: n.isMultiple(of: 2) ? Self.message(10) : nil))
            #expect(buffer.count == min(n + 1, maximum))
        }
        #expect(ids == (1...1_000).map(String.init))
        // Only the newest `maximum` ids are known.
        #expect(buffer.replay(after: ids[ids.count - maximum]) != nil)
        if maximum < ids.count { #expect(buffer.replay(after: ids[ids.count - maximum - 1]) == nil) }
    }

    @Test func neverHoldsMoreBytesThanItsBoundButKeepsTheNewestMessage() {
        var buffer = ReplayBuffer(maximumEvents: 100, maximumBytes: 100)
        for _ in 0..<10 { _ = buffer.append(stream: 1, message: Self.message(30)) }
        #expect(buffer.count == 3 && buffer.bytes == 90)
        _ = buffer.append(stream: 1, message: nil)
        #expect(buffer.count == 4 && buffer.bytes == 90)
        let large = buffer.append(stream: 2, message: Self.message(500))
        #expect(buffer.count == 1 && buffer.bytes == 500)
        #expect(buffer.replay(after: large)?.messages.isEmpty == true)
        _ = buffer.append(stream: 1, message: Self.message(10))
        #expect(buffer.count == 1 && buffer.bytes == 10)
    }

    @Test func replaysTheLaterMessagesOfTheSameStreamOnly() throws {
        var buffer = ReplayBuffer(maximumEvents: 64, maximumBytes: .max)
        let priming = buffer.append(stream: 1, message: nil)
        _ = buffer.append(stream: 0, message: Self.message(3, "a"))
        let first = buffer.append(stream: 1, message: Self.message(3, "b"))
        _ = buffer.append(stream: 2, message: nil)
        let response = buffer.append(stream: 1, message: Self.message(3, "c"), endsStream: true)

        let fromPriming = try #require(buffer.replay(after: priming))
        #expect(fromPriming.stream == 1 && fromPriming.streamEnded)
        #expect(fromPriming.messages.map(\.id) == [first, response])
        #expect(fromPriming.messages.map(\.message) == [Self.message(3, "b"), Self.message(3, "c")])

        let fromResponse = try #require(buffer.replay(after: response))
        #expect(fromResponse.messages.isEmpty && fromResponse.streamEnded)

        let open = try #require(buffer.replay(after: "4"))
        #expect(open.stream == 2 && open.messages.isEmpty && !open.streamEnded)
    }

    @Test(arguments: ["", "abc", "0", "6", "01", "+1", " 1", "1 ", "-1", "1.0", "18446744073709551616"])
    func unknownOrNonCanonicalIDsAreNotFound(id: String) {
        var buffer = ReplayBuffer(maximumEvents: 64, maximumBytes: .max)
        for _ in 0..<5 { _ = buffer.append(stream: 1, message: Self.message(1)) }
        #expect(buffer.replay(after: id) == nil)
    }

    @Test func evictionKeepsIDsInPlaceAcrossCompaction() throws {
        var buffer = ReplayBuffer(maximumEvents: 5, maximumBytes: .max)
        var ids: [String] = []
        for n in 0..<500 { ids.append(buffer.append(stream: UInt64(n % 2), message: Self.message(1, n % 2 == 0 ? "e" : "o"))) }
        for offset in 1...4 {
            let replay = try #require(buffer.replay(after: ids[ids.count - 1 - offset]))
            #expect(replay.stream == UInt64((499 - offset) % 2))
            #expect(replay.messages.map(\.id) == stride(from: ids.count - offset + 1, to: ids.count, by: 2).map { ids[$0] })
        }
    }

    @Test func removeAllForgetsEverythingButDoesNotReuseIDs() {
        var buffer = ReplayBuffer(maximumEvents: 8, maximumBytes: .max)
        let old = buffer.append(stream: 1, message: Self.message(4))
        buffer.removeAll()
        #expect(buffer.count == 0 && buffer.bytes == 0)
        #expect(buffer.replay(after: old) == nil)
        #expect(buffer.append(stream: 1, message: nil) == "2")
    }
}
