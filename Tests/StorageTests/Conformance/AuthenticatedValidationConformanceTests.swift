import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite("Store conformance: authenticated validation")
struct AuthenticatedValidationConformanceTests {
    static func hash(_ n: Int) -> String { String(repeating: "a", count: 62) + String(format: "%02d", n) }

    @Test(arguments: StoreBackend.allCases)
    func resolvesTheKeyAndRecordsForItsAgent(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner")
        let caller = try await f.agent("caller")
        let license = try await f.license(owner: owner)
        let key = try await f.store.addAPIKey(agentID: caller.id, keyHash: Self.hash(1), prefix: "tmws_ak_aaaa")

        let outcome = try #require(
            try await f.store.recordAuthenticatedValidation(
                apiKeyHash: Self.hash(1), licenseID: license.id, featureAccessed: "export",
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
                apiKeyHash: Self.hash(1), licenseID: license.id, featureAccessed: nil,
                authorize: { agent, _ in
                    AgentCheck(result: 0, allowed: false, audit: NewAuditEvent(eventType: "permission_check", userID: agent?.id))
                }, decide: { _, _ in .valid }))
        #expect(refused.recorded == nil)
        #expect(try await f.store.allUsageHistory(licenseID: license.id).count == 1)
        #expect(try await f.store.countAuditEvents(matching: AuditFilter(eventType: "permission_check")) == 2)
    }

    @Test(arguments: StoreBackend.allCases)
    func aKeyThatDoesNotAuthenticateWritesNothing(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner")
        let suspended = try await f.agent("suspended")
        let license = try await f.license(owner: owner)
        let revoked = try await f.store.addAPIKey(agentID: owner.id, keyHash: Self.hash(2), prefix: "tmws_ak_bbbb")
        _ = try await f.store.revokeAPIKey(id: revoked.id)
        _ = try await f.store.addAPIKey(agentID: suspended.id, keyHash: Self.hash(3), prefix: "tmws_ak_cccc")
        _ = try await f.store.updateAgent(id: suspended.id, AgentChange(status: .suspended))
        let auditBefore = try await f.store.countAuditEvents(matching: AuditFilter())

        for hash in [Self.hash(2), Self.hash(3), Self.hash(4)] {
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
