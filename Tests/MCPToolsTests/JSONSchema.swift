import Foundation
import MCP

/// A small JSON Schema checker: enough for the keywords the tool schemas use (`type` with union
/// arrays, `properties`, `required`, `enum`, `anyOf`, `items`, `pattern`, `minimum`/`maximum`,
/// `minLength`/`maxLength`, `maxProperties`, `additionalProperties` as a bool or a schema, and
/// `format: date-time`). Unknown keywords are rejected, so that a schema cannot silently use
/// something this checker does not enforce.
enum JSONSchema {
    static let isoSeconds = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#

    static let knownKeywords: Set<String> = [
        "type", "properties", "required", "enum", "anyOf", "items", "pattern", "minimum", "maximum", "minLength",
        "maxLength", "maxProperties", "additionalProperties", "format", "description", "default", "title",
    ]

    /// Every violation of `schema` by `value`, as "path: problem" lines (empty when valid).
    static func errors(_ value: Value, against schema: Value, at path: String = "$") -> [String] {
        if case .bool(let allowed) = schema { return allowed ? [] : ["\(path): no value is allowed"] }
        guard let schema = schema.objectValue else { return ["\(path): the schema is not an object"] }
        var problems: [String] = []
        for keyword in schema.keys where !knownKeywords.contains(keyword) {
            problems.append("\(path): unsupported keyword \(keyword)")
        }
        if let type = schema["type"] {
            let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? "?"]
            guard types.contains(where: { matchesType(value, $0) }) else {
                return problems + ["\(path): \(kind(of: value)) is not \(types.joined(separator: "|"))"]
            }
        }
        if let cases = schema["enum"]?.arrayValue, !cases.contains(value) {
            problems.append("\(path): \(value) is not one of \(cases)")
        }
        if let branches = schema["anyOf"]?.arrayValue, !branches.contains(where: { errors(value, against: $0, at: path).isEmpty }) {
            let reasons = branches.map { errors(value, against: $0, at: path).joined(separator: "; ") }
            problems.append("\(path): matches no anyOf branch (\(reasons.joined(separator: " | ")))")
        }
        switch value {
        case .string(let text):
            if let pattern = schema["pattern"]?.stringValue, !matches(text, pattern) {
                problems.append("\(path): \(text.prefix(80)) does not match \(pattern)")
            }
            if let format = schema["format"]?.stringValue, format == "date-time", !matches(text, isoSeconds) {
                problems.append("\(path): \(text) is not an ISO 8601 UTC time")
            }
            if let max = schema["maxLength"]?.intValue, text.count > max { problems.append("\(path): longer than \(max)") }
            if let min = schema["minLength"]?.intValue, text.count < min { problems.append("\(path): shorter than \(min)") }
        case .int, .double:
            let amount = number(of: value) ?? 0
            if let min = schema["minimum"].flatMap(number(of:)), amount < min { problems.append("\(path): below \(min)") }
            if let max = schema["maximum"].flatMap(number(of:)), amount > max { problems.append("\(path): above \(max)") }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += errors(item, against: itemSchema, at: "\(path)[\(index)]") }
            }
        case .object(let object):
            let properties = schema["properties"]?.objectValue ?? [:]
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                problems.append("\(path): missing required \(name)")
            }
            if let max = schema["maxProperties"]?.intValue, object.count > max { problems.append("\(path): more than \(max) properties") }
            for (name, member) in object.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    problems += errors(member, against: propertySchema, at: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"] {
                    problems += errors(member, against: additional, at: "\(path).\(name)")
                }
            }
        default:
            break
        }
        return problems
    }

    static func matchesType(_ value: Value, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .int), ("number", .int), ("number", .double): true
        case ("integer", .double(let double)): double.rounded() == double
        default: false
        }
    }

    static func kind(of value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .data: "data"
        case .array: "array"
        case .object: "object"
        }
    }

    static func number(of value: Value) -> Double? {
        value.doubleValue ?? value.intValue.map(Double.init)
    }

    /// Whether `text` contains a match of the regular expression `pattern` (JSON Schema semantics:
    /// unanchored unless the pattern anchors itself).
    static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Keywords anywhere in a schema that this checker does not enforce.
    static func unsupportedKeywords(in schema: Value) -> [String] {
        guard let object = schema.objectValue else { return [] }
        var found = object.keys.filter { !knownKeywords.contains($0) }
        for member in object["properties"]?.objectValue?.values.map({ $0 }) ?? [] { found += unsupportedKeywords(in: member) }
        for branch in object["anyOf"]?.arrayValue ?? [] { found += unsupportedKeywords(in: branch) }
        if let items = object["items"] { found += unsupportedKeywords(in: items) }
        if let additional = object["additionalProperties"] { found += unsupportedKeywords(in: additional) }
        return found
    }

    /// Every string under a key ending in `_at`, with its path — outside the free-form string maps
    /// (`details`, `metadata`), whose values are the caller's or the event's own text.
    static func timestamps(in value: Value, at path: String = "$") -> [(String, String)] {
        switch value {
        case .object(let object):
            object.flatMap { name, member -> [(String, String)] in
                if name == "details" || name == "metadata" { return [] }
                if name.hasSuffix("_at"), let text = member.stringValue { return [("\(path).\(name)", text)] }
                return timestamps(in: member, at: "\(path).\(name)")
            }
        case .array(let items):
            items.enumerated().flatMap { timestamps(in: $1, at: "\(path)[\($0)]") }
        default:
            []
        }
    }
}
