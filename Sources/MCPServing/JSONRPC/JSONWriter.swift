import Foundation
import MCP

/// Writes JSON text as UTF-8 bytes, for answers built without an encoder round trip.
///
/// Objects of a `Value` are written with their members in sorted order, so the same value always
/// gives the same bytes (clients and shared caches may compare them). Strings escape `"`, `\`,
/// control characters and U+2028/U+2029 (which some JavaScript readers take for line breaks); a
/// number that JSON cannot express (an infinity, NaN) is written as `null`.
///
/// `JSONEncoder` over the SDK's `CallTool.Result` was 9–11% of the server's CPU per validation
/// request under `wrk` (release build, `perf`); this writer is a loop over the value.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The text written so far.
    public var data: Data { Data(bytes) }

    /// Appends JSON text as it is (it must be valid JSON in this position).
    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends one byte of punctuation (`{`, `,`, …).
    public mutating func byte(_ character: Unicode.Scalar) {
        bytes.append(UInt8(ascii: character))
    }

    /// Appends `text` as a JSON string literal.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                let escape: StaticString?
                var width = 1
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0..<0x20: escape = nil
                case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                    escape = utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                    width = 3
                default:
                    index += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                if let escape {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: escape.utf8Start, count: escape.utf8CodeUnitCount))
                } else {
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]])  // \u00XX
                }
                index += width
                runStart = index
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends an integer.
    public mutating func integer(_ value: Int) {
        raw(String(value))
    }

    /// Appends `value`.
    public mutating func value(_ value: Value) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): raw(flag ? "true" : "false")
        case .int(let number): integer(number)
        case .double(let number): raw(number.isFinite ? "\(number)" : "null")
        case .string(let text): string(text)
        case .data(let mimeType, let data):
            string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let items):
            byte("[")
            for (position, item) in items.enumerated() {
                if position > 0 { byte(",") }
                self.value(item)
            }
            byte("]")
        case .object(let members):
            byte("{")
            for (position, key) in members.keys.sorted().enumerated() {
                if position > 0 { byte(",") }
                string(key)
                byte(":")
                self.value(members[key]!)
            }
            byte("}")
        }
    }
}

/// JSON text helpers for the fixed parts of answers.
enum JSONText {
    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.string(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
