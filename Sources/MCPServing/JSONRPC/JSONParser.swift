import Foundation
import MCP

/// A strict RFC 8259 parser from UTF-8 bytes to the SDK's `Value`, for request bodies.
///
/// Written here rather than taken from Foundation because Foundation's only paths into a generic
/// value are `JSONDecoder` through `Decodable` (each member tried as object, string, bool, … with
/// a thrown error per miss, plus dictionary and metadata machinery) and `JSONSerialization`
/// (bridged `NSNumber`s and `NSDictionary`s). Under `wrk` on a release build `JSONDecoder`
/// was 15% of the server's CPU per validation request; this parser is a single pass over the
/// bytes with no thrown error on the happy path (BENCHMARKS.md, "Serving layer").
///
/// What it accepts is exactly RFC 8259's grammar, and it is stricter than Foundation in the ways
/// that keep a request from meaning two things:
/// - a member name repeated in one object is refused (RFC 8259 leaves the meaning open, so two
///   readers of the same body could disagree on its method or arguments);
/// - text must be valid UTF-8, escapes must form valid scalars (no lone surrogates), and control
///   characters must be escaped;
/// - nesting is bounded by ``maximumDepth``.
///
/// Numbers without a fraction or exponent that fit `Int` are `.int`; every other number is
/// `.double` (out-of-range magnitudes become infinities, which no integer argument accepts).
/// Strings are always `.string`: a string shaped like a `data:` URL stays text.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 64

    /// Why a text is not accepted.
    public enum Failure: Error, Sendable, Equatable {
        /// Not JSON (or trailing bytes after the value); `offset` is where reading stopped.
        case syntax(offset: Int)
        /// Bytes that are not valid UTF-8, or an escape that is not a Unicode scalar.
        case invalidUnicode(offset: Int)
        /// An object names the same member twice.
        case duplicateMember(offset: Int)
        /// Arrays and objects nested deeper than ``maximumDepth``.
        case tooDeep
    }

    /// Parses one JSON text (any value at the top, surrounded by optional whitespace).
    public static func parse(_ data: Data) throws(Failure) -> Value {
        let result: Result<Value, Failure> = data.withUnsafeBytes { raw in
            var reader = Reader(raw.bindMemory(to: UInt8.self))
            return Result { () throws(Failure) -> Value in try reader.document() }
        }
        return try result.get()
    }

    /// Parses one JSON text held in `text`.
    public static func parse(_ text: String) throws(Failure) -> Value {
        try parse(Data(text.utf8))
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0
        /// Reused for strings with escapes.
        var scratch: [UInt8] = []

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func document() throws(Failure) -> Value {
            skipWhitespace()
            let value = try self.value()
            skipWhitespace()
            guard index == bytes.count else { throw .syntax(offset: index) }
            return value
        }

        @inline(__always) mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func value() throws(Failure) -> Value {
            guard index < bytes.count else { throw .syntax(offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try number()
            default:
                throw .syntax(offset: index)
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw .syntax(offset: index) }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw .syntax(offset: index + offset)
            }
            index += count
        }

        /// Steps over an opening bracket; `true` when `close` follows at once (an empty container).
        mutating func open(closedBy close: UInt8) throws(Failure) -> Bool {
            depth += 1
            guard depth <= JSONParser.maximumDepth else { throw .tooDeep }
            index += 1
            skipWhitespace()
            return closes(close)
        }

        /// After a member or an item: `true` at `close` (the container ends), `false` after a comma.
        mutating func nextOrEnd(closedBy close: UInt8) throws(Failure) -> Bool {
            skipWhitespace()
            if closes(close) { return true }
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { throw .syntax(offset: index) }
            index += 1
            skipWhitespace()
            return false
        }

        private mutating func closes(_ close: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == close else { return false }
            index += 1
            depth -= 1
            return true
        }

        mutating func object() throws(Failure) -> Value {
            var members: [String: Value] = [:]
            if try open(closedBy: UInt8(ascii: "}")) { return .object(members) }
            repeat {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw .syntax(offset: index) }
                let nameOffset = index
                let name = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw .syntax(offset: index) }
                index += 1
                skipWhitespace()
                let member = try value()
                guard members.updateValue(member, forKey: name) == nil else { throw .duplicateMember(offset: nameOffset) }
            } while try !nextOrEnd(closedBy: UInt8(ascii: "}"))
            return .object(members)
        }

        mutating func array() throws(Failure) -> Value {
            var items: [Value] = []
            if try open(closedBy: UInt8(ascii: "]")) { return .array(items) }
            repeat {
                items.append(try value())
            } while try !nextOrEnd(closedBy: UInt8(ascii: "]"))
            return .array(items)
        }

        /// A string literal starting at the opening quote.
        mutating func string() throws(Failure) -> String {
            index += 1  // "
            let start = index
            var ascii = true
            // The common case: no escapes. Find the closing quote, checking for control characters.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    if ascii { return String(decoding: slice, as: UTF8.self) }
                    guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUnicode(offset: start) }
                    return text
                }
                if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
                if byte < 0x20 { throw .syntax(offset: index) }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            throw .syntax(offset: index)
        }

        /// The rest of a string that holds an escape; `start` is its first byte after the quote.
        mutating func escapedString(from start: Int) throws(Failure) -> String {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let text = String(validating: scratch, as: UTF8.self) else { throw .invalidUnicode(offset: start) }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw .syntax(offset: index) }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                    case UInt8(ascii: "b"): scratch.append(0x08)
                    case UInt8(ascii: "f"): scratch.append(0x0C)
                    case UInt8(ascii: "n"): scratch.append(0x0A)
                    case UInt8(ascii: "r"): scratch.append(0x0D)
                    case UInt8(ascii: "t"): scratch.append(0x09)
                    case UInt8(ascii: "u"): try unicodeEscape()
                    default: throw .syntax(offset: index - 1)
                    }
                case 0..<0x20:
                    throw .syntax(offset: index)
                default:
                    scratch.append(byte)
                    index += 1
                }
            }
            throw .syntax(offset: index)
        }

        /// `\uXXXX` (after the `u`), or a surrogate pair of two; appends the scalar's UTF-8.
        mutating func unicodeEscape() throws(Failure) {
            let escapeOffset = index - 2
            let unit = try hexQuad()
            let scalarValue: UInt32
            switch unit {
            case 0xD800..<0xDC00:
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw .invalidUnicode(offset: escapeOffset)
                }
                index += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw .invalidUnicode(offset: escapeOffset) }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            case 0xDC00..<0xE000:
                throw .invalidUnicode(offset: escapeOffset)
            default:
                scalarValue = UInt32(unit)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw .invalidUnicode(offset: escapeOffset) }
            scratch.append(contentsOf: UTF8.encode(scalar)!)
        }

        mutating func hexQuad() throws(Failure) -> UInt16 {
            guard bytes.count - index >= 4 else { throw .syntax(offset: index) }
            var unit: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw .syntax(offset: index)
                }
                unit = unit << 4 | UInt16(digit)
                index += 1
            }
            return unit
        }

        mutating func number() throws(Failure) -> Value {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw .syntax(offset: index) }
            // Integer part: accumulate as a negative magnitude so Int.min fits.
            var magnitude = 0
            var fits = true
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) {
                    if fits {
                        let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                        let (next, overflow2) = shifted.subtractingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
                        if overflow1 || overflow2 { fits = false } else { magnitude = next }
                    }
                    index += 1
                }
            }
            var integral = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw .syntax(offset: index) }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw .syntax(offset: index) }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if integral, fits {
                if negative { return .int(magnitude) }
                if magnitude != Int.min { return .int(-magnitude) }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let number = Double(text) else { throw .syntax(offset: start) }
            return .double(number)
        }

        @inline(__always) func isDigit(_ byte: UInt8) -> Bool {
            byte &- UInt8(ascii: "0") < 10
        }
    }
}
