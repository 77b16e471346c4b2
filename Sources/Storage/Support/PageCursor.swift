import Foundation

/// The position after the last item of a page. Encoded as opaque base64url text; a cursor that
/// does not decode, or that belongs to another listing, is an `invalidArgument` error.
package struct PageCursor: Hashable, Sendable {
    package enum Kind: String, Sendable {
        case usage = "u", audit = "a", license = "l", agent = "g"
    }

    package var kind: Kind
    /// The timestamp (milliseconds since 1970) of the last item; 0 where the order has none.
    package var millis: Int64
    /// The tie-breaking key of the last item: a row id, a UUID string or an agent name.
    package var key: String

    package var rowID: Int64? { Int64(key) }

    package init(kind: Kind, millis: Int64, key: String) {
        self.kind = kind
        self.millis = millis
        self.key = key
    }

    package func encoded() -> String {
        Base64URL.encode("\(kind.rawValue).\(millis).\(key)".utf8)
    }

    /// The timestamps a cursor may carry: years 0001 to 9999, the range of SQLite's timestamp text.
    /// A forged cursor with a time near `Int64.max` would otherwise trap when formatted for a query.
    static let millisRange: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// Decodes a cursor of the given kind; `nil` input means "first page".
    package static func decode(_ text: String?, kind: Kind) throws(StorageError) -> PageCursor? {
        guard let text else { return nil }
        let invalid = StorageError(.invalidArgument, "the pagination cursor is not valid for this listing")
        guard text.utf8.count <= 512, text.utf8.allSatisfy({ $0 < 0x80 }) else { throw invalid }
        guard let data = Base64URL.decode(text), let raw = String(data: data, encoding: .utf8) else {
            throw invalid
        }
        let parts = raw.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == kind.rawValue, let millis = Int64(parts[1]), millisRange.contains(millis),
            !parts[2].isEmpty
        else {
            throw invalid
        }
        let cursor = PageCursor(kind: kind, millis: millis, key: String(parts[2]))
        switch kind {
        case .usage, .audit:
            guard cursor.rowID != nil else { throw invalid }
        case .license:
            guard UUID(canonicalText: cursor.key) != nil else { throw invalid }
        case .agent:
            break
        }
        return cursor
    }
}
