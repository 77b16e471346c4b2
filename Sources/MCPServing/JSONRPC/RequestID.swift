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

/// Small JSON text helpers for building answers without an encoder round trip.
enum JSONText {
    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }
}
