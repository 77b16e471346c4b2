import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

/// A fresh store of one backend with a frozen clock, for one conformance test.
struct StoreFixture {
    let clock = TestClock()
    let handle: TemporaryStore
    var store: any Store { handle.store }

    init(_ backend: StoreBackend) async throws {
        handle = try await backend.makeStore(clock: clock.now)
    }

    @discardableResult
    func agent(_ name: String, namespace: String = "default", role: String = "viewer") async throws -> Agent {
        try await store.createAgent(NewAgent(name: name, namespace: namespace, role: role))
    }

    @discardableResult
    func license(
        owner: Agent, tier: String = "PRO", expiresAt: Date? = nil, id: UUID = UUID(), hash: String? = nil
    ) async throws -> License {
        try await store.insertLicense(
            NewLicense(
                id: id, ownerID: owner.id, namespace: owner.namespace, tier: tier,
                keyHash: hash ?? String(repeating: "0", count: 28) + id.uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                issuedAt: clock.date, expiresAt: expiresAt, metadata: ["customer": "acme"]))
    }

    /// Follows every page of a listing.
    func collect<Item>(limit: Int, _ fetch: (PageRequest) async throws -> Page<Item>) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            let page = try await fetch(PageRequest(limit: limit, cursor: cursor))
            #expect(page.items.count <= limit)
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }
}

func hasCode(_ code: StorageError.Code) -> @Sendable (any Error) -> Bool {
    { ($0 as? StorageError)?.code == code }
}
