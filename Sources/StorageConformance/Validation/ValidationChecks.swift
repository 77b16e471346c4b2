import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func recordValidationAppliesTheDecisionAtomically(_ f: ConformanceFixture) async throws {
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner)
        let valid = try await f.store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: "export") { found, now in
            found?.id == license.id && now == f.clock.date ? .valid : .invalid("BAD")
        }
        #expect(valid.decision == .valid)
        #expect(valid.license?.validationCount == 1)
        #expect(valid.license?.lastValidatedAt == f.clock.date)
        #expect(valid.usage.licenseID == license.id)
        #expect(valid.usage.featureAccessed == "export")
        f.clock.advance(by: 1)
        let invalid = try await f.store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: nil) { _, _ in
            .invalid("EXPIRED")
        }
        #expect(invalid.license?.validationCount == 1)
        #expect(invalid.usage.failureReason == "EXPIRED")
        let unresolved = try await f.store.recordValidation(licenseID: nil, agentID: owner.id, featureAccessed: nil) { found, _ in
            found == nil ? .invalid("MALFORMED") : .valid
        }
        #expect(unresolved.usage.licenseID == nil)
        #expect(unresolved.usage.failureReason == "MALFORMED")
        // A decision that calls "valid" without a license is still recorded as not found.
        let unknown = try await f.store.recordValidation(licenseID: UUID(), agentID: owner.id, featureAccessed: nil) { _, _ in .valid }
        #expect(unknown.decision == .invalid("NOT_FOUND"))
        #expect(unknown.license == nil)

        let stored = try #require(try await f.store.license(id: license.id))
        #expect(stored.validationCount == 1)
        #expect(stored.lastValidatedAt == valid.usage.validatedAt)
        let history = try await f.store.usageHistory(licenseID: license.id, page: .init(limit: 10))
        #expect(history.items == [invalid.usage, valid.usage])
        let counts = try await f.store.usageCounts(since: valid.usage.validatedAt, until: nil)
        #expect(counts == UsageCounts(total: 4, failed: 3))
        #expect(try await f.store.usageCounts(since: f.clock.date + 1, until: nil) == UsageCounts(total: 0, failed: 0))
        #expect(try await f.store.usageCounts(since: .distantPast, until: f.clock.date) == UsageCounts(total: 1, failed: 0))
    }

    static func validationSeesRevocation(_ f: ConformanceFixture) async throws {
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner)
        _ = try await f.store.revokeLicense(id: license.id, reason: nil, revokedBy: nil)
        let result = try await f.store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: nil) { found, _ in
            found?.revokedAt == nil && found?.isActive == true ? .valid : .invalid("REVOKED")
        }
        #expect(result.decision == .invalid("REVOKED"))
        #expect(result.license?.validationCount == 0)
    }

    static func resolvesTheKeyAndRecordsForItsAgent(_ f: ConformanceFixture) async throws {
        let owner = try await f.agent("owner")
        let caller = try await f.agent("caller")
        let license = try await f.license(owner: owner)
        let key = try await f.store.addAPIKey(agentID: caller.id, keyHash: ConformanceFixture.keyHash(1), prefix: "tmws_ak_aaaa")

        let outcome = try #require(
            try await f.store.recordAuthenticatedValidation(
                apiKeyHash: ConformanceFixture.keyHash(1), licenseID: license.id, featureAccessed: "export",
                authorize: { agent, now in
                    AgentCheck(
                        result: agent?.id, allowed: agent?.id == caller.id,
                        audit: NewAuditEvent(eventType: "permission_check", userID: agent?.id, details: ["result": "ALLOW"]))
                }, decide: { found, _ in found?.id == license.id ? .valid : .invalid("BAD") }))
        #expect(outcome.key.key.id == key.id)
        #expect(outcome.key.agent.id == caller.id)
        #expect(outcome.check == caller.id)
        let recorded = try #require(outcome.recorded)
        #expect(recorded.decision == .valid)
        #expect(recorded.usage.agentID == caller.id)
        #expect(recorded.license?.validationCount == 1)
        #expect(try await f.store.allUsageHistory(licenseID: license.id) == [recorded.usage])
        #expect(try await f.store.countAuditEvents(matching: AuditFilter(eventType: "permission_check", userID: caller.id)) == 1)

        // A refusing check writes its audit row and no usage row.
        let refused = try #require(
            try await f.store.recordAuthenticatedValidation(
                apiKeyHash: ConformanceFixture.keyHash(1), licenseID: license.id, featureAccessed: nil,
                authorize: { agent, _ in
                    AgentCheck(result: 0, allowed: false, audit: NewAuditEvent(eventType: "permission_check", userID: agent?.id))
                }, decide: { _, _ in .valid }))
        #expect(refused.recorded == nil)
        #expect(try await f.store.allUsageHistory(licenseID: license.id).count == 1)
        #expect(try await f.store.countAuditEvents(matching: AuditFilter(eventType: "permission_check")) == 2)
    }

    static func aKeyThatDoesNotAuthenticateWritesNothing(_ f: ConformanceFixture) async throws {
        let owner = try await f.agent("owner")
        let suspended = try await f.agent("suspended")
        let license = try await f.license(owner: owner)
        let revoked = try await f.store.addAPIKey(agentID: owner.id, keyHash: ConformanceFixture.keyHash(2), prefix: "tmws_ak_bbbb")
        _ = try await f.store.revokeAPIKey(id: revoked.id)
        _ = try await f.store.addAPIKey(agentID: suspended.id, keyHash: ConformanceFixture.keyHash(3), prefix: "tmws_ak_cccc")
        _ = try await f.store.updateAgent(id: suspended.id, AgentChange(status: .suspended))
        let auditBefore = try await f.store.countAuditEvents(matching: AuditFilter())

        for hash in [ConformanceFixture.keyHash(2), ConformanceFixture.keyHash(3), ConformanceFixture.keyHash(4)] {
            let outcome = try await f.store.recordAuthenticatedValidation(
                apiKeyHash: hash, licenseID: license.id, featureAccessed: nil,
                authorize: { agent, _ in
                    AgentCheck(result: (), allowed: true, audit: NewAuditEvent(eventType: "permission_check", userID: agent?.id))
                }, decide: { _, _ in .valid })
            #expect(outcome == nil)
        }
        #expect(try await f.store.allUsageHistory(licenseID: license.id).isEmpty)
        #expect(try await f.store.usageCounts(since: .distantPast, until: nil) == UsageCounts(total: 0, failed: 0))
        #expect(try await f.store.countAuditEvents(matching: AuditFilter()) == auditBefore)
        #expect(try await f.store.license(id: license.id)?.validationCount == 0)
    }
}
