import Foundation

/// The recent Server-Sent Events of one session, kept so that a client that lost a stream can
/// resume it with `Last-Event-ID`.
///
/// Bounded: it holds at most ``maximumEvents`` events, and their messages add up to at most
/// ``maximumBytes`` bytes — except that the newest event is always kept, however large. The oldest
/// events go first. Event ids are the decimal numbers 1, 2, 3, … in the order events were added, so
/// the live events always form one contiguous run of numbers and an id is found by arithmetic.
///
/// The MCP SDK's `StatefulHTTPServerTransport` keeps every event of a session, response bodies
/// included, until the session ends; that is the growth this type bounds.
package struct ReplayBuffer: Sendable {
    /// One event: a message (or, for a priming event, none) sent on a stream.
    package struct Event: Sendable {
        /// The event's number, which its id spells.
        package let sequence: UInt64
        /// The stream the event was sent on.
        package let stream: UInt64
        /// The JSON-RPC message; `nil` for a priming event, and once the event is evicted.
        package var message: Data?
        /// Whether the event is the last of its stream (a request stream's response).
        package let endsStream: Bool

        package var id: String { String(sequence) }
    }

    /// What a client that saw an event missed on the same stream.
    package struct Replay: Sendable {
        /// The stream the event was sent on.
        package let stream: UInt64
        /// The messages sent on that stream after the event, oldest first, with their event ids.
        package let messages: [(id: String, message: Data)]
        /// Whether the stream's last event is among the event and those after it: nothing more
        /// will be sent on it.
        package let streamEnded: Bool
    }

    /// The most events kept.
    package let maximumEvents: Int
    /// The most message bytes kept, unless the newest message alone is larger.
    package let maximumBytes: Int

    /// `events[start...]` are live; evicted events before `start` have no message and are dropped
    /// in batches, so that evicting one event stays cheap.
    private var events: [Event] = []
    private var start = 0
    private var nextSequence: UInt64 = 1
    /// The bytes of the live messages.
    package private(set) var bytes = 0

    /// A buffer that keeps at most `maximumEvents` events (at least 1) and `maximumBytes` message bytes.
    package init(maximumEvents: Int, maximumBytes: Int) {
        self.maximumEvents = max(1, maximumEvents)
        self.maximumBytes = max(0, maximumBytes)
    }

    /// The number of live events.
    package var count: Int { events.count - start }

    /// Adds an event, evicting the oldest ones as the bounds require, and returns its id.
    package mutating func append(stream: UInt64, message: Data?, endsStream: Bool = false) -> String {
        let size = message?.count ?? 0
        while count > 0, count >= maximumEvents || bytes + size > maximumBytes {
            evictOldest()
        }
        let event = Event(sequence: nextSequence, stream: stream, message: message, endsStream: endsStream)
        nextSequence += 1
        events.append(event)
        bytes += size
        return event.id
    }

    /// What followed the event with id `lastEventID` on its stream, or `nil` when no live event has
    /// that id (it was never issued, was evicted, or is not a canonical decimal number).
    package func replay(after lastEventID: String) -> Replay? {
        guard let index = index(of: lastEventID) else { return nil }
        let stream = events[index].stream
        var messages: [(id: String, message: Data)] = []
        var ended = events[index].endsStream
        for event in events[(index + 1)...] where event.stream == stream {
            if let message = event.message { messages.append((event.id, message)) }
            if event.endsStream { ended = true }
        }
        return Replay(stream: stream, messages: messages, streamEnded: ended)
    }

    /// Forgets every event; ids are not reused.
    package mutating func removeAll() {
        events = []
        start = 0
        bytes = 0
    }

    private func index(of id: String) -> Int? {
        guard let sequence = UInt64(id), String(sequence) == id, count > 0 else { return nil }
        let first = events[start].sequence
        guard sequence >= first, sequence < nextSequence else { return nil }
        return start + Int(sequence - first)
    }

    private mutating func evictOldest() {
        bytes -= events[start].message?.count ?? 0
        events[start].message = nil
        start += 1
        if start >= 64, start * 2 >= events.count {
            events.removeFirst(start)
            start = 0
        }
    }
}
