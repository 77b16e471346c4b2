import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// The spec's license integration scenarios ("12 passed, 3 xfailed") — all fifteen, none expected
/// to fail: the expired license, revoking an unknown id and cross-namespace access are covered
/// like the rest. Access-control scenarios are in `SpecIntegrationTests+Access.swift`.
@Suite struct SpecIntegrationTests {
    @Test(arguments: StoreBackend.allCases)
    func generateAsEditor(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor, namespace: "team")
        let generated = try await f.generate(by: editor, tier: .pro, days: 365)
        #expect(generated.license.ownerID == editor.agentID)
        #expect(generated.license.namespace == "team")
        #expect(generated.key.hasPrefix("TMWS-PRO-\(generated.license.id.lower)-"))
        let checks = try await f.auditEvents("permission_check")
        #expect(checks.first?.details == ["operation": "license:generate", "role": "editor", "result": "ALLOW", "reason": "role_grants_permission"])
    }

    @Test(arguments: StoreBackend.allCases)
    func generateAsAdmin(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin, namespace: "ops")
        let generated = try await f.generate(by: admin, tier: .enterprise, days: nil)
        #expect(generated.license.ownerID == admin.agentID)
        #expect(generated.license.namespace == "ops")
        #expect(generated.license.expiresAt == nil)
        #expect(try await f.service.validateLicenseKey(as: admin, key: generated.key).isPerpetual == true)
    }

    @Test(arguments: StoreBackend.allCases)
    func invalidTierAndViewerGenerate(_ backend: StoreBackend) async throws {
        for text in ["GOLD", "pro", "Pro", "PRO ", "", "FREE\u{0}"] {
            #expect(LicenseTier(parsing: text) == nil)
        }
        #expect(LicenseTier.allCases.allSatisfy { LicenseTier(parsing: $0.rawValue) == $0 })
        let f = try await ServiceFixture(backend)
        let viewer = try await f.agent("viewer", role: .viewer)
        let error = await #expect(throws: LicenseError(.permissionDenied, "")) {
            try await f.service.generateLicenseKey(as: viewer, tier: .pro, expiresDays: 30)
        }
        #expect(error?.reason == .roleLacksPermission)
        #expect(try await f.store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 10)).items.isEmpty)
        let checks = try await f.auditEvents("permission_check")
        #expect(checks.first?.details["result"] == "DENY")
        #expect(checks.first?.details["operation"] == "license:generate")
    }

    @Test(arguments: StoreBackend.allCases)
    func validateSucceedsForAllRoles(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor, namespace: "a")
        let generated = try await f.generate(by: editor)
        for role in Role.allCases {
            // Holding the key is the authority: any role, any namespace.
            let caller = try await f.agent("caller-\(role)", role: role, namespace: "other")
            let result = try await f.service.validateLicenseKey(as: caller, key: generated.key)
            #expect(result.valid && result.code == .valid)
            #expect(result.licenseID == generated.license.id)
        }
        #expect(try await f.license(generated.license.id)?.validationCount == Int64(Role.allCases.count))
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredLicense(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor, tier: .pro, days: 30)
        let expiresAt = try #require(generated.license.expiresAt)
        f.clock.set(expiresAt - 1)
        #expect(try await f.service.validateLicenseKey(as: editor, key: generated.key).code == .valid)
        f.clock.set(expiresAt)
        let result = try await f.service.validateLicenseKey(as: editor, key: generated.key, featureAccessed: "sync")
        #expect(result.code == .expired)
        #expect(!result.valid)
        #expect(result.licenseID == generated.license.id && result.tier == .pro && result.expiresAt == expiresAt)
        let newest = try #require(try await f.usageRows(generated.license.id).first)
        #expect(!newest.valid && newest.failureReason == "EXPIRED" && newest.featureAccessed == "sync")
        #expect(newest.validatedAt == expiresAt)
        #expect(try await f.license(generated.license.id)?.validationCount == 1)
        #expect(try await f.service.licenseInfo(as: editor, id: generated.license.id).status == .expired)
    }

    @Test(arguments: StoreBackend.allCases)
    func notFound(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let viewer = try await f.agent("viewer", role: .viewer)
        let admin = try await f.agent("admin", role: .admin)
        let unknown = UUID()
        let key = ServiceFixture.signer.key(tier: .pro, id: unknown, expiresAt: nil).text
        let result = try await f.service.validateLicenseKey(as: viewer, key: key)
        #expect(result.code == .notFound && !result.valid && result.licenseID == nil)
        #expect(try await f.usageCounts() == UsageCounts(total: 1, failed: 1))
        #expect(try await f.usageRows(unknown).isEmpty)
        // An admin learns the license does not exist; anyone else cannot tell it from one they may not see.
        await #expect(throws: LicenseError(.notFound, "")) { try await f.service.licenseInfo(as: admin, id: unknown) }
        await #expect(throws: LicenseError(.notFound, "")) { try await f.service.usageHistory(as: admin, licenseID: unknown) }
        await #expect(throws: LicenseError(.permissionDenied, "")) { try await f.service.licenseInfo(as: viewer, id: unknown) }
        await #expect(throws: LicenseError(.permissionDenied, "")) { try await f.service.usageHistory(as: viewer, licenseID: unknown) }
    }

    @Test(arguments: StoreBackend.allCases)
    func revokeAsAdmin(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor)
        f.clock.advance(by: 60)
        let revocation = try await f.service.revokeLicenseKey(as: admin, id: generated.license.id, reason: "refund")
        #expect(revocation.licenseID == generated.license.id)
        #expect(revocation.revokedAt == f.clock.date)
        #expect(revocation.reason == "refund")
        #expect(!revocation.alreadyRevoked)
        let stored = try #require(try await f.license(generated.license.id))
        #expect(!stored.isActive && stored.revokedAt == f.clock.date && stored.revokedReason == "refund" && stored.revokedBy == admin.agentID)
        let result = try await f.service.validateLicenseKey(as: editor, key: generated.key)
        #expect(result.code == .revoked && !result.valid && result.licenseID == generated.license.id)
        let events = try await f.auditEvents("license_revoked")
        #expect(events.count == 1)
        #expect(events.first?.userID == admin.agentID)
        #expect(events.first?.details["license_id"] == generated.license.id.lower)
        #expect(events.first?.details["already_revoked"] == "false")
    }

    @Test(arguments: StoreBackend.allCases)
    func revokeTwiceIsIdempotent(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let generated = try await f.generate(by: admin)
        let first = try await f.service.revokeLicenseKey(as: admin, id: generated.license.id, reason: "compromised")
        f.clock.advance(by: 3600)
        let second = try await f.service.revokeLicenseKey(as: admin, id: generated.license.id, reason: "something else")
        #expect(second.alreadyRevoked)
        #expect(second.revokedAt == first.revokedAt)
        #expect(second.reason == "compromised")
        let stored = try #require(try await f.license(generated.license.id))
        #expect(stored.revokedAt == first.revokedAt && stored.revokedReason == "compromised")
        let third = try await f.service.revokeLicenseKey(as: admin, id: generated.license.id)
        #expect(third == second)
        #expect(try await f.auditEvents("license_revoked").map { $0.details["already_revoked"] } == ["true", "true", "false"])
    }

    @Test(arguments: StoreBackend.allCases)
    func revokeUnknownIsNotFound(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let editor = try await f.agent("editor", role: .editor)
        await #expect(throws: LicenseError(.notFound, "")) { try await f.service.revokeLicenseKey(as: admin, id: UUID(), reason: "x") }
        // The permission is checked first: a non-admin learns nothing about the id.
        await #expect(throws: LicenseError(.permissionDenied, "")) { try await f.service.revokeLicenseKey(as: editor, id: UUID()) }
        #expect(try await f.auditEvents("license_revoked").isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func validateRecordsUsage(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let viewer = try await f.agent("viewer", role: .viewer)
        let generated = try await f.generate(by: editor)
        for index in 1...3 {
            f.clock.advance(by: 1.5)
            _ = try await f.service.validateLicenseKey(as: viewer, key: generated.key, featureAccessed: "feature-\(index)")
            let info = try await f.service.licenseInfo(as: editor, id: generated.license.id)
            #expect(info.validationCount == Int64(index))
            #expect(info.license.lastValidatedAt == f.clock.date)
        }
        let rows = try await f.usageRows(generated.license.id)
        #expect(rows.map(\.featureAccessed) == ["feature-3", "feature-2", "feature-1"])
        #expect(rows.allSatisfy { $0.valid && $0.agentID == viewer.agentID && $0.licenseID == generated.license.id })
    }

    @Test(arguments: StoreBackend.allCases)
    func usageHistoryAsOwner(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor)
        let id = generated.license.id
        for index in 0..<25 {
            if index.isMultiple(of: 3) { f.clock.advance(by: 0.001) }  // ties on time are broken by row id
            _ = try await f.service.validateLicenseKey(as: editor, key: generated.key, featureAccessed: "\(index)")
        }
        var seen: [UsageRecord] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await f.service.usageHistory(as: editor, licenseID: id, limit: 10, cursor: cursor)
            #expect(page.items.count == (pages < 2 ? 10 : 5))
            seen += page.items
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(seen.map(\.featureAccessed) == (0..<25).reversed().map { "\($0)" })
        #expect(Set(seen.map(\.id)).count == 25)
        #expect(try await f.service.usageHistory(as: editor, licenseID: id, limit: 1000).items == seen)

        for limit in [0, -1, 1001] {
            await #expect(throws: LicenseError(.invalidArgument, "")) { try await f.service.usageHistory(as: editor, licenseID: id, limit: limit) }
        }
        // A genuine cursor, but of another listing (the audit log).
        let admin = try await f.agent("admin", role: .admin)
        let otherListing = try #require(try await f.audit.events(as: admin, limit: 1).nextCursor)
        for forged in ["not-a-cursor", "dS5hYmMuMQ", "eC4xLjE", "dS4xLg", String(repeating: "A", count: 600), "é", otherListing] {
            await #expect(throws: LicenseError(.invalidArgument, "")) {
                try await f.service.usageHistory(as: editor, licenseID: id, limit: 10, cursor: forged)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func infoAsOwner(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let admin = try await f.agent("admin", role: .admin)
        let dated = try await f.generate(by: editor, tier: .free, days: 30)
        let perpetual = try await f.generate(by: editor, tier: .enterprise, days: nil)
        var info = try await f.service.licenseInfo(as: editor, id: dated.license.id)
        #expect(info.status == .active && !info.isPerpetual && info.license == dated.license)
        f.clock.advance(by: 30 * 86_400)
        info = try await f.service.licenseInfo(as: editor, id: dated.license.id)
        #expect(info.status == .expired)
        _ = try await f.service.revokeLicenseKey(as: admin, id: dated.license.id, reason: "cleanup")
        info = try await f.service.licenseInfo(as: editor, id: dated.license.id)
        #expect(info.status == .revoked && info.license.revokedReason == "cleanup")
        f.clock.advance(by: 20 * 365 * 86_400)
        let forever = try await f.service.licenseInfo(as: editor, id: perpetual.license.id)
        #expect(forever.status == .active && forever.isPerpetual)
    }

    /// The whole lifecycle, as an operator would run it: promote, generate, validate, read, revoke, audit.
    @Test(arguments: StoreBackend.allCases)
    func wholeLifecycle(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let bot = try await f.agent("billing-bot", role: .viewer)
        let customer = try await f.agent("customer", role: .viewer, namespace: "customers")
        _ = try await f.agents.setAgentRole(as: admin, agentNamed: "billing-bot", to: .editor)
        let generated = try await f.generate(by: bot, tier: .pro, days: 365)
        let id = generated.license.id
        f.clock.advance(by: 86_400)
        #expect(try await f.service.validateLicenseKey(as: customer, key: generated.key, featureAccessed: "reports").valid)
        let info = try await f.service.licenseInfo(as: bot, id: id)
        #expect(info.status == .active && info.validationCount == 1)
        #expect(try await f.service.usageHistory(as: bot, licenseID: id).items.count == 1)
        f.clock.advance(by: 86_400)
        let revocation = try await f.service.revokeLicenseKey(as: admin, id: id, reason: "chargeback")
        let refused = try await f.service.validateLicenseKey(as: customer, key: generated.key, featureAccessed: "reports")
        #expect(refused.code == .revoked)
        #expect(try await f.service.licenseInfo(as: admin, id: id).status == .revoked)
        let usage = try await f.service.usageHistory(as: admin, licenseID: id).items
        #expect(usage.map(\.failureReason) == ["REVOKED", nil])
        #expect(usage.first?.validatedAt == revocation.revokedAt)
        let audit = try await f.audit.events(as: admin, limit: 1000).items
        let lifecycle = audit.filter { $0.eventType != "permission_check" }.map(\.eventType)
        #expect(lifecycle == ["license_revoked", "license_generated", "role_changed"])
        #expect(audit.contains { $0.details["operation"] == "license:validate" && $0.userID == customer.agentID })
        #expect(audit.allSatisfy { $0.eventType != "permission_check" || $0.details["result"] == "ALLOW" })
    }
}
