import Foundation

/// The JSON text kept in `details` and `metadata`: a flat object of strings.
package enum JSONText {
    /// Encodes a dictionary as a JSON object with sorted keys.
    package static func encode(_ object: [String: String]) -> String {
        if object.isEmpty { return "{}" }
        // Built as UTF-8 bytes: appending to a String scalar by scalar was most of an audit row's cost.
        var out: [UInt8] = []
        out.reserveCapacity(object.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        out.append(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(object[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a JSON object. Non-string values are kept as their JSON text; anything that is not
    /// an object is `corrupt`.
    package static func decode(_ text: String?) throws(StorageError) -> [String: String] {
        guard let text, text != "{}", !text.isEmpty else { return [:] }
        // The usual case, an object of strings (and nulls), through JSONDecoder: Foundation's
        // JSONSerialization on Linux drops a U+FEFF that follows a string's opening quote or an escape.
        if let strings = try? JSONDecoder().decode([String: String?].self, from: Data(text.utf8)) {
            return strings.compactMapValues { $0 }
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
            let dictionary = object as? [String: Any]
        else {
            throw StorageError(.corrupt, "a stored JSON column does not hold a JSON object")
        }
        var result: [String: String] = [:]
        for (key, value) in dictionary {
            switch value {
            case let string as String: result[key] = string
            case is NSNull: continue
            default:
                if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                    result[key] = String(decoding: data, as: UTF8.self)
                }
            }
        }
        return result
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `string` as a JSON string: quotes, backslashes and control characters escaped, and
    /// U+2028 and U+2029 too (they end a line in JavaScript). Everything else is copied as UTF-8.
    private static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var utf8 = string.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: appendEscape(UInt16(byte), to: &out)
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
                guard let second = utf8.next() else {
                    out.append(byte)
                    break
                }
                guard second == 0x80, let third = utf8.next() else {
                    out.append(contentsOf: [byte, second])
                    break
                }
                if third == 0xA8 || third == 0xA9 {
                    appendEscape(0x2000 | UInt16(third - 0xA8 + 0x28), to: &out)
                } else {
                    out.append(contentsOf: [byte, second, third])
                }
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `\uXXXX`, lowercase hex.
    private static func appendEscape(_ value: UInt16, to out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in [12, 8, 4, 0] as [UInt16] { out.append(hexDigits[Int((value >> shift) & 0xF)]) }
    }
}
