import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    /// 8 tasks record validations on one license while another task revokes it: no error surfaces,
    /// `validation_count` equals the number of valid rows, and no valid row is dated after the revocation.
    static func validationsRacingARevoke(_ f: ConformanceFixture) async throws {
        let store = f.store
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

extension StoreConformance {
    /// `Store` promises that times are taken from the store's clock inside the atomic step, so
    /// usage rows and revocations are ordered in time as they happened. A validation step that
    /// reads the time and then loses the race to a revocation must not be recorded REVOKED at a
    /// time before the revocation (nor VALID after it). The store's first clock read in the step
    /// is paused while the clock moves on and the license is revoked.
    static func timeIsTakenInsideTheValidationStep(_ f: ConformanceFixture) async throws {
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner)
        f.readClock.arm(pausingCall: 1)
        let validation = Task {
            try await f.store.recordValidation(
                licenseID: license.id, agentID: owner.id, featureAccessed: nil,
                authorize: { agent, _ in AgentCheck(result: agent?.id, allowed: agent != nil, audit: nil) },
                decide: { found, _ in found?.revokedAt == nil && found?.isActive == true ? .valid : .invalid("REVOKED") })
        }
        try await f.readClock.waitForPause()
        f.clock.advance(by: 1)
        let revocation = try await f.store.revokeLicense(id: license.id, reason: "race", revokedBy: owner.id)
        let outcome = try await validation.value
        let recorded = try #require(outcome.recorded)
        #expect(outcome.check == owner.id)
        if recorded.decision.valid {
            #expect(recorded.usage.validatedAt <= revocation.revokedAt)
        } else {
            #expect(recorded.decision == .invalid("REVOKED"))
            #expect(recorded.usage.validatedAt >= revocation.revokedAt, "recorded REVOKED at a time before the revocation")
        }
        let rows = try await f.store.allUsageHistory(licenseID: license.id)
        #expect(rows.count == 1)
        #expect(rows.allSatisfy { $0.valid ? $0.validatedAt <= revocation.revokedAt : $0.validatedAt >= revocation.revokedAt })
    }
}
