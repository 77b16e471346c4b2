import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite("Store conformance: concurrent validations and revocation")
struct ConcurrencyConformanceTests {
    /// 8 tasks record validations on one license while another task revokes it: no error surfaces,
    /// `validation_count` equals the number of valid rows, and no valid row is dated after the revocation.
    @Test(arguments: StoreBackend.allCases)
    func validationsRacingARevoke(_ backend: StoreBackend) async throws {
        let handle = try await backend.makeStore()
        let store = handle.store
        let owner = try await store.createAgent(NewAgent(name: "owner", namespace: "default"))
        let license = try await store.insertLicense(
            NewLicense(id: UUID(), ownerID: owner.id, namespace: "default", tier: "PRO", keyHash: "hash", issuedAt: Date(), expiresAt: nil))
        let perTask = 150
        let revocation = try await withThrowingTaskGroup(of: Revocation?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<perTask {
                        _ = try await store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: nil) { found, _ in
                            guard let found, found.revokedAt == nil, found.isActive else { return .invalid("REVOKED") }
                            return .valid
                        }
                    }
                    return nil
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(20))
                return try await store.revokeLicense(id: license.id, reason: "race", revokedBy: owner.id)
            }
            var revocation: Revocation?
            for try await result in group { revocation = revocation ?? result }
            return revocation
        }
        let revokedAt = try #require(revocation?.revokedAt)
        let rows = try await store.allUsageHistory(licenseID: license.id)
        #expect(rows.count == 8 * perTask)
        let validRows = rows.filter(\.valid)
        let stored = try #require(try await store.license(id: license.id))
        #expect(stored.validationCount == Int64(validRows.count))
        #expect(validRows.allSatisfy { $0.validatedAt <= revokedAt })
        #expect(rows.filter { !$0.valid }.allSatisfy { $0.failureReason == "REVOKED" && $0.validatedAt >= revokedAt })
    }
}
