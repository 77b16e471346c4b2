import Foundation

/// A JSON-RPC request id: a string or an integer, as MCP requires.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case number(Int)

    /// The longest string id accepted: ids are echoed in every answer.
    public static let maximumLength = 256

    /// The id as JSON text.
    public var json: String {
        switch self {
        case .number(let value): String(value)
        case .string(let value): JSONText.quoted(value)
        }
    }

    public var description: String { json }
}
