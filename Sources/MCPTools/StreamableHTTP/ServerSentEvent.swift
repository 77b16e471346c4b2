import Foundation

/// One Server-Sent Event as written on the wire
/// (https://html.spec.whatwg.org/multipage/server-sent-events.html).
///
/// Adapted from the MCP Swift SDK 0.12.1 `SSEEvent` (MIT licence), which is internal to the SDK;
/// unlike it, a data value with line breaks is written as several `data:` lines, as the format requires.
package struct ServerSentEvent: Sendable, Equatable {
    package var id: String?
    package var event: String?
    package var data: String
    package var retry: Int?

    /// The event in wire format, ending with the blank line that dispatches it.
    package func formatted() -> Data {
        var text = ""
        if let id { text += "id: \(id)\n" }
        if let event { text += "event: \(event)\n" }
        if let retry { text += "retry: \(retry)\n" }
        // Only CR, LF and CRLF end a line in this format; U+2028 and the like, which JSON may
        // carry raw, stay inside the data.
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: Self.endsLine) {
            text += "data: \(line)\n"
        }
        text += "\n"
        return Data(text.utf8)
    }

    private static func endsLine(_ character: Character) -> Bool {
        character == "\n" || character == "\r" || character == "\r\n"
    }

    /// The event with empty data sent first on a stream, so that the client has an id to resume from.
    package static func priming(id: String, retry: Int?) -> ServerSentEvent {
        ServerSentEvent(id: id, event: nil, data: "", retry: retry)
    }

    /// A JSON-RPC message.
    package static func message(_ data: Data, id: String) -> ServerSentEvent {
        ServerSentEvent(id: id, event: "message", data: String(decoding: data, as: UTF8.self), retry: nil)
    }
}
