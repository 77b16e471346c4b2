import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// The public conformance suite (``TMWSStorageConformance/StoreConformance``) against each of our
/// backends, one test case per backend and check, through the same entry point a user's store takes.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test(arguments: StoreBackend.allCases, StoreConformance.checks)
    func conforms(_ backend: StoreBackend, _ check: StoreConformance.Check) async throws {
        try await StoreConformance(makeSubject: backend.conformanceSubject).run(check)
    }

    /// Every check has a unique name and every concept has checks.
    @Test func checksAreNamedOnceAndCoverEveryConcept() {
        let names = StoreConformance.checks.map(\.description)
        #expect(Set(names).count == names.count)
        #expect(Set(StoreConformance.checks.map(\.concept)) == Set(StoreConformance.Concept.allCases))
    }
}
