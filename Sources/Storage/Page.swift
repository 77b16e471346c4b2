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

/// An item of a keyset-paginated listing: the listing's cursor kind, and where an item puts the
/// cursor of the page it ends. Defined once per listing; every backend pages through it.
package protocol KeysetOrdered: Sendable {
    static var cursorKind: PageCursor.Kind { get }
    /// The cursor of a page that ends with this item.
    var cursor: PageCursor { get }
}

extension Page {
    /// Every item of a listing, reading `read` page after page (of up to 1,000) until the last.
    package static func following(_ read: (PageRequest) async throws -> Page<Item>) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            let page = try await read(PageRequest(limit: 1000, cursor: cursor))
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }
}

extension Page where Item: KeysetOrdered {
    /// The page of a keyset listing, from the rows a backend fetched after the cursor in the
    /// listing's order — one more than `limit` of them when there are, so that a next page shows
    /// as the extra row: at most `limit` items, and the cursor of the last one when there are more.
    package static func cut(_ fetched: [Item], limit: Int) -> Page<Item> {
        guard fetched.count > limit else { return Page(items: fetched, nextCursor: nil) }
        let items = Array(fetched.prefix(limit))
        return Page(items: items, nextCursor: items[limit - 1].cursor.encoded())
    }
}

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

extension PageRequest {
    /// The keyset-page skeleton every listing of every backend follows: checks the request,
    /// decodes its cursor for `Item`'s listing (`invalidArgument` when it is not one), fetches up
    /// to `limit` items after it (one more than the page holds), and cuts the page.
    package func keysetPage<Item: KeysetOrdered>(
        fetch: (_ after: PageCursor?, _ limit: Int) async throws -> [Item]
    ) async throws -> Page<Item> {
        let page = try validated()
        let after = try PageCursor.decode(page.cursor, kind: Item.cursorKind)
        return Page.cut(try await fetch(after, page.limit + 1), limit: page.limit)
    }
}

extension Agent: KeysetOrdered {
    package static var cursorKind: PageCursor.Kind { .agent }
    /// By name (`agents.agent_id`), which is unique.
    package var cursor: PageCursor { PageCursor(kind: .agent, millis: 0, key: name) }
}

extension License: KeysetOrdered {
    package static var cursorKind: PageCursor.Kind { .license }
    /// By creation time, then id.
    package var cursor: PageCursor { PageCursor(kind: .license, millis: createdAt.ms, key: id.canonicalText) }
}

extension AuditEvent: KeysetOrdered {
    package static var cursorKind: PageCursor.Kind { .audit }
    /// By time, then row id.
    package var cursor: PageCursor { PageCursor(kind: .audit, millis: createdAt.ms, key: String(id)) }
}

extension UsageRecord: KeysetOrdered {
    package static var cursorKind: PageCursor.Kind { .usage }
    /// By validation time, then row id.
    package var cursor: PageCursor { PageCursor(kind: .usage, millis: validatedAt.ms, key: String(id)) }
}
