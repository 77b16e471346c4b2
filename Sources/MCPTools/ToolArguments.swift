import Foundation
import MCP
import TMWSLicenseCore
import TMWSStorage

/// A tool call's arguments, checked against the tool's input schema by hand: every failure is an
/// `INVALID_ARGUMENT` error whose message names the argument.
struct ToolArguments {
    let values: [String: Value]

    /// Rejects arguments the tool does not declare (`additionalProperties: false`).
    init(_ values: [String: Value]?, allowed: Set<String>) throws(LicenseError) {
        self.values = values ?? [:]
        if let unknown = self.values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Self.invalid(unknown, "is not an argument of this tool")
        }
    }

    static func invalid(_ name: String, _ problem: String) -> LicenseError {
        LicenseError(.invalidArgument, "argument '\(name.prefix(64))' \(problem)")
    }

    private func present(_ name: String) -> Value? {
        guard let value = values[name], !value.isNull else { return nil }
        return value
    }

    func string(_ name: String, maxLength: Int, required: Bool = false) throws(LicenseError) -> String? {
        guard let value = present(name) else {
            if required { throw Self.invalid(name, "is required") }
            return nil
        }
        let text: String
        switch value {
        case .string(let string): text = string
        case .data: throw Self.invalid(name, "must be a plain string, not a data URL")
        default: throw Self.invalid(name, "must be a string")
        }
        guard text.utf8.count <= maxLength else { throw Self.invalid(name, "is longer than \(maxLength) bytes") }
        return text
    }

    func requiredString(_ name: String, maxLength: Int) throws(LicenseError) -> String {
        try string(name, maxLength: maxLength, required: true)!
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(LicenseError) -> Int? {
        guard let value = present(name) else { return nil }
        let number: Int
        switch value {
        case .int(let int): number = int
        case .double(let double) where double.rounded() == double && abs(double) < 1e15: number = Int(double)
        default: throw Self.invalid(name, "must be an integer")
        }
        guard range.contains(number) else {
            throw Self.invalid(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func uuid(_ name: String, required: Bool = false) throws(LicenseError) -> UUID? {
        guard let text = try string(name, maxLength: 36, required: required) else { return nil }
        // Not `UUID(uuidString:)`: on Linux it parses each byte with `sscanf("%2hhx")`, which takes
        // " 0", "-0" and "+5" for hex bytes, so text the schema's pattern rejects named a license.
        guard text.utf8.count == 36, text == text.lowercased(), let id = UUID(canonicalText: text) else {
            throw Self.invalid(name, "must be a lowercase UUID such as 550e8400-e29b-41d4-a716-446655440000")
        }
        return id
    }

    func requiredUUID(_ name: String) throws(LicenseError) -> UUID {
        try uuid(name, required: true)!
    }

    /// One of `allowed`, in any ASCII letter case (``InputName``, as `tmwsctl` reads its options),
    /// handed to `parse` in its canonical spelling.
    func choice<T>(_ name: String, required: Bool = false, _ parse: (String) -> T?, allowed: [String]) throws(LicenseError) -> T? {
        guard let text = try string(name, maxLength: 64, required: required) else { return nil }
        guard let canonical = InputName.match(text, among: allowed), let value = parse(canonical) else {
            throw Self.invalid(name, "must be one of \(allowed.joined(separator: ", "))")
        }
        return value
    }

    func date(_ name: String) throws(LicenseError) -> Date? {
        guard let text = try string(name, maxLength: 40) else { return nil }
        guard let date = ISO8601Parsing.parse(text) else {
            throw Self.invalid(name, "must be an ISO 8601 UTC time such as 2026-11-26T14:00:00Z")
        }
        return date
    }

    func stringMap(_ name: String, maxEntries: Int) throws(LicenseError) -> [String: String] {
        guard let value = present(name) else { return [:] }
        guard case .object(let object) = value else { throw Self.invalid(name, "must be an object of strings") }
        guard object.count <= maxEntries else { throw Self.invalid(name, "has more than \(maxEntries) entries") }
        var result: [String: String] = [:]
        for (key, entry) in object {
            guard case .string(let string) = entry else { throw Self.invalid(name, "must map to strings only") }
            result[key] = string
        }
        return result
    }
}

/// Parses the ISO 8601 forms callers send (`2026-11-26T14:00:00Z`, with optional fraction).
enum ISO8601Parsing {
    static func parse(_ text: String) -> Date? {
        guard text.hasSuffix("Z") || text.hasSuffix("+00:00") else { return nil }
        return Timestamp.parse(text)
    }
}
