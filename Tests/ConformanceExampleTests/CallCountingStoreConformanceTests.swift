import Synchronization
import TMWSStorageConformance
import Testing

/// The whole public conformance suite against a store defined in this target: the few lines a
/// user who writes a `Store` of their own needs.
@Test(arguments: StoreConformance.checks)
func callCountingStoreConforms(_ check: StoreConformance.Check) async throws {
    try await StoreConformance(makeStore: { clock in CallCountingStore(clock: clock) }).run(check)
}

/// The suite goes through the store it is given: every requirement was called at least once.
@Test func theSuiteExercisesTheStoreItIsGiven() async throws {
    let made = Made()
    try await StoreConformance(makeStore: { clock in made.add(CallCountingStore(clock: clock)) }).runAll()
    let called = Set(made.stores.flatMap { $0.calls.keys })
    #expect(called.count == 24, "requirements called: \(called.sorted())")
}

/// The stores a suite made, to look at afterwards.
final class Made: Sendable {
    private let list = Synchronization.Mutex<[CallCountingStore]>([])
    var stores: [CallCountingStore] { list.withLock { $0 } }
    func add(_ store: CallCountingStore) -> CallCountingStore {
        list.withLock { $0.append(store) }
        return store
    }
}
