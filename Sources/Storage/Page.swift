/// One page of a keyset-paginated listing.
public struct Page<Item: Sendable>: Sendable {
    /// The items of this page, in the listing's order.
    public var items: [Item]
    /// An opaque cursor for the next page, or `nil` when this page is the last.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Page: Equatable where Item: Equatable {}

/// Which page to read: at most `limit` items after `cursor` (the first page when `nil`).
public struct PageRequest: Sendable, Hashable {
    /// The largest page a store serves.
    public static let maximumLimit = 10_000

    public var limit: Int
    public var cursor: String?

    /// Creates a page request. Stores reject a limit outside `1...maximumLimit` with `invalidArgument`.
    public init(limit: Int, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    package func validated() throws(StorageError) -> PageRequest {
        guard (1...Self.maximumLimit).contains(limit) else {
            throw StorageError(.invalidArgument, "page limit must be between 1 and \(Self.maximumLimit), got \(limit)")
        }
        return self
    }
}
