import Foundation

/// `--json` output: one JSON document on standard output, snake_case keys, sorted, and
/// timestamps in ISO 8601 UTC with a `Z` (`2026-11-26T14:00:00Z`).
enum JSONOutput {
    static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(iso8601(date))
        }
        return encoder
    }

    /// Prints a value as one JSON document.
    static func print(_ value: some Encodable) throws {
        let data = try encoder().encode(value)
        Console.json(String(decoding: data, as: UTF8.self))
    }

    /// One compact line (for JSON Lines).
    static func line(_ value: some Encodable) throws -> String {
        String(decoding: try encoder(pretty: false).encode(value), as: UTF8.self)
    }

    /// `2026-11-26T14:00:00Z`.
    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

/// An optional field that `--json` prints as `null` when absent, as the MCP tools' results do,
/// instead of leaving the key out (what a synthesized `Encodable` does with an `Optional`).
@propertyWrapper
struct Null<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
