import Foundation
import Synchronization
import TMWSStorage
import Testing

/// A new store for one check, with the clock it takes its time from and helpers to fill it.
struct ConformanceFixture: Sendable {
    /// The check's time; the store reads it through ``readClock``.
    let clock = TestClock()
    /// The clock as the store sees it: ``clock``'s time, with a read that can be paused.
    let readClock: PausingClock
    let subject: StoreConformance.Subject
    var store: any Store { subject.store }

    init(clock kind: StoreConformance.Check.Clock, makeSubject: StoreConformance.MakeSubject) async throws {
        readClock = PausingClock(clock)
        switch kind {
        case .frozen: subject = try await makeSubject(readClock.now)
        case .system: subject = try await makeSubject({ Date() })
        }
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

    /// Follows every page of a listing, expecting no page longer than `limit`.
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

    /// A distinct, well-formed stored API-key hash (64 hex digits) for `n` in 0…99.
    static func keyHash(_ n: Int) -> String { String(repeating: "a", count: 62) + String(format: "%02d", n) }
}

/// A store clock that, once armed, pauses the n-th read after taking the time, so that the store
/// goes on with a time read *before* whatever the check does during the pause.
final class PausingClock: Sendable {
    private let clock: TestClock
    private let state = Mutex<(countdown: Int?, paused: Bool)>((nil, false))
    private let pauseMicroseconds: useconds_t = 200_000

    init(_ clock: TestClock) { self.clock = clock }

    /// Pauses the `call`-th read from now (1 = the next one).
    func arm(pausingCall call: Int) { state.withLock { $0 = (call, false) } }

    /// Whether the armed read has started its pause.
    var hasPaused: Bool { state.withLock { $0.paused } }

    /// Waits until the armed read pauses, at most 10 s.
    func waitForPause() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !hasPaused {
            try #require(ContinuousClock.now < deadline, "the store never read its clock")
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    var now: @Sendable () -> Date {
        { [self] in
            let date = clock.date
            let pausing = state.withLock { state -> Bool in
                guard let countdown = state.countdown else { return false }
                state.countdown = countdown > 1 ? countdown - 1 : nil
                if countdown == 1 { state.paused = true }
                return countdown == 1
            }
            // A blocking sleep: the store reads its clock synchronously, often on its own thread.
            if pausing { usleep(pauseMicroseconds) }
            return date
        }
    }
}

/// Whether an error is a `StorageError` with `code`.
func hasCode(_ code: StorageError.Code) -> @Sendable (any Error) -> Bool {
    { ($0 as? StorageError)?.code == code }
}
