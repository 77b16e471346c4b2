import Foundation

/// The JSON text kept in `details` and `metadata`: a flat object of strings.
package enum JSONText {
    /// Encodes a dictionary as a JSON object with sorted keys.
    package static func encode(_ object: [String: String]) -> String {
        if object.isEmpty { return "{}" }
        var out = "{"
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendString(object[key]!, to: &out)
        }
        out += "}"
        return out
    }

    /// Decodes a JSON object. Non-string values are kept as their JSON text; anything that is not
    /// an object is `corrupt`.
    package static func decode(_ text: String?) throws(StorageError) -> [String: String] {
        guard let text, text != "{}", !text.isEmpty else { return [:] }
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

    private static func appendString(_ string: String, to out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
