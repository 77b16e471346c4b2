/// The JSON of a license token's two segments, read and written without Foundation's coders.
///
/// **Why our own.** A token's header and claims are one flat JSON object each, read on every
/// verification. Foundation's `JSONDecoder` took about 66 µs of a 207 µs verification (a bare
/// Ed25519 check took 141 µs), and jwt-kit's own parser measured slower still (230 µs in all), so
/// the verifier could not come within 1.25× of the signature check it wraps; `JSONEncoder` took about
/// 31 µs of each checkout, as much as the signature. This reader and writer cover exactly RFC 8259
/// for one object: any member is accepted and nested values are skipped (to a depth of 32), but a
/// duplicated member name is refused (RFC 7515 §5.2 allows either; refusing is the safe choice) and
/// so is anything after the object, invalid UTF-8, a lone surrogate or a control character in a
/// string. Tests and the fuzz target check that whatever it accepts, `JSONDecoder` reads the same.
enum TokenJSON {
    /// A member's value, as far as a license token needs to know it.
    enum Value: Equatable {
        case string(String)
        /// A number, as a `Double` (its text checked against the JSON grammar first).
        case number(Double)
        case null
        case bool(Bool)
        /// An array whose elements are all strings (`aud` may be one).
        case strings([String])
        /// Any other array, or an object: skipped.
        case other
    }

    /// The members of the one JSON object `bytes` holds, in order, or `nil` when `bytes` is anything else.
    static func object(_ bytes: [UInt8]) -> [(name: String, value: Value)]? {
        var reader = Reader(bytes: bytes)
        guard let members = reader.object(), reader.atEnd else { return nil }
        return members
    }

    /// A JSON string literal of `text`: quotes, backslashes and control characters escaped
    /// (as `JSONEncoder` escapes them), everything else as it is.
    static func append(string text: String, to out: inout [UInt8]) {
        out.append(0x22)
        defer { out.append(0x22) }
        // The common case: nothing to escape, so the bytes themselves.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else {
            out.append(contentsOf: text.utf8)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x08: out.append(contentsOf: [0x5c, 0x62])
            case 0x0c: out.append(contentsOf: [0x5c, 0x66])
            case 0x0a: out.append(contentsOf: [0x5c, 0x6e])
            case 0x0d: out.append(contentsOf: [0x5c, 0x72])
            case 0x09: out.append(contentsOf: [0x5c, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5c, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]])
            default: out.append(byte)
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        static let maximumDepth = 32

        init(bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return index == bytes.count
            }
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// `{ "name": value, … }`, the names unique.
        mutating func object() -> [(name: String, value: Value)]? {
            guard consume(0x7b) else { return nil }
            var members: [(name: String, value: Value)] = []
            members.reserveCapacity(16)
            if consume(0x7d) { return members }
            repeat {
                skipSpace()
                guard let name = string(), consume(0x3a), let value = value(depth: 1) else { return nil }
                guard !members.contains(where: { $0.name == name }) else { return nil }
                members.append((name, value))
            } while consume(0x2c)
            return consume(0x7d) ? members : nil
        }

        mutating func value(depth: Int) -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case 0x22: return string().map(Value.string)
            case 0x2d, 0x30...0x39: return number().map(Value.number)
            case 0x74: return literal("true") ? .bool(true) : nil
            case 0x66: return literal("false") ? .bool(false) : nil
            case 0x6e: return literal("null") ? .null : nil
            case 0x5b: return array(depth: depth)
            case 0x7b: return skipObject(depth: depth) ? .other : nil
            default: return nil
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func array(depth: Int) -> Value? {
            guard depth < Self.maximumDepth else { return nil }
            index += 1
            var strings: [String]? = []
            if consume(0x5d) { return .strings([]) }
            repeat {
                guard let element = value(depth: depth + 1) else { return nil }
                if case .string(let text) = element { strings?.append(text) } else { strings = nil }
            } while consume(0x2c)
            guard consume(0x5d) else { return nil }
            return strings.map(Value.strings) ?? .other
        }

        mutating func skipObject(depth: Int) -> Bool {
            guard depth < Self.maximumDepth else { return false }
            index += 1
            if consume(0x7d) { return true }
            var names: Set<String> = []
            repeat {
                skipSpace()
                guard let name = string(), names.insert(name).inserted, consume(0x3a), value(depth: depth + 1) != nil else { return false }
            } while consume(0x2c)
            return consume(0x7d)
        }

        /// A string literal (the reader at its opening quote): escapes decoded, UTF-8 validated.
        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == 0x22 else { return nil }
            index += 1
            let start = index
            // The common case: no escapes, so the bytes themselves.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {
                    defer { index += 1 }
                    return String(validating: bytes[start..<index], as: UTF8.self)
                }
                if byte == 0x5c { break }
                guard byte >= 0x20 else { return nil }
                index += 1
            }
            var decoded = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case 0x22: return String(validating: decoded, as: UTF8.self)
                case 0x5c:
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case 0x22, 0x5c, 0x2f: decoded.append(escape)
                    case 0x62: decoded.append(0x08)
                    case 0x66: decoded.append(0x0c)
                    case 0x6e: decoded.append(0x0a)
                    case 0x72: decoded.append(0x0d)
                    case 0x74: decoded.append(0x09)
                    case 0x75:
                        guard let scalar = unicodeEscape() else { return nil }
                        UTF8.encode(scalar) { decoded.append($0) }
                    default: return nil
                    }
                case 0..<0x20: return nil
                default: decoded.append(byte)
                }
            }
            return nil
        }

        /// The scalar of `\uXXXX` (the reader after its `u`), a surrogate pair read whole.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let unit = hex4() else { return nil }
            switch unit {
            case 0xd800...0xdbff:
                guard bytes.count - index >= 6, bytes[index] == 0x5c, bytes[index + 1] == 0x75 else { return nil }
                index += 2
                guard let low = hex4(), (0xdc00...0xdfff).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
            case 0xdc00...0xdfff: return nil
            default: return Unicode.Scalar(unit)
            }
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as a `Double`.
        mutating func number() -> Double? {
            let start = index
            if bytes[index] == 0x2d { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == 0x30 {
                index += 1
            } else {
                guard digits() > 0 else { return nil }
            }
            var integral = true
            if index < bytes.count, bytes[index] == 0x2e {
                index += 1
                integral = false
                guard digits() > 0 else { return nil }
            }
            if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
                index += 1
                integral = false
                if index < bytes.count, bytes[index] == 0x2b || bytes[index] == 0x2d { index += 1 }
                guard digits() > 0 else { return nil }
            }
            let text = bytes[start..<index]
            // Whole numbers of up to 15 digits (every NumericDate) are exact in an Int64 and a Double.
            if integral, text.count <= 16 {
                var value: Int64 = 0
                for byte in text where byte != 0x2d { value = value * 10 + Int64(byte - 0x30) }
                return Double(text.first == 0x2d ? -value : value)
            }
            return Double(String(decoding: text, as: UTF8.self))
        }

        mutating func digits() -> Int {
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - start
        }
    }
}
