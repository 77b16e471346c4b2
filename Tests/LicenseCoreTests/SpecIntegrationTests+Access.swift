import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// The spec's access-control scenarios: RBAC on every operation, ownership, namespaces, listings.
extension SpecIntegrationTests {
    @Test(arguments: StoreBackend.allCases)
    func rbacEnforcedOnEveryOperation(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let editor = try await f.agent("editor", role: .editor)
        let viewer = try await f.agent("viewer", role: .viewer)
        let otherViewer = try await f.agent("other-viewer", role: .viewer)
        let generated = try await f.generate(by: editor)
        let id = generated.license.id
        let s = f.service, a = f.agents, audit = f.audit
        let denied = LicenseError(.permissionDenied, "")

        // Viewer: no generate, revoke, or admin operations.
        for caller in [viewer, editor] {
            await #expect(throws: denied) { try await s.revokeLicenseKey(as: caller, id: id, reason: "no") }
            await #expect(throws: denied) { try await a.setAgentRole(as: caller, agentNamed: "viewer", to: .admin) }
            await #expect(throws: denied) { try await a.setAgentTier(as: caller, agentNamed: "viewer", to: .enterprise) }
            await #expect(throws: denied) { try await a.setAgentStatus(as: caller, agentNamed: "admin", to: .suspended) }
            await #expect(throws: denied) { try await audit.events(as: caller) }
        }
        await #expect(throws: denied) { try await s.generateLicenseKey(as: viewer, tier: .free) }

        // Not the owner (same namespace): no info, no usage.
        for caller in [viewer, otherViewer] {
            let info = await #expect(throws: denied) { try await s.licenseInfo(as: caller, id: id) }
            #expect(info?.reason == .notVisible)
            let usage = await #expect(throws: denied) { try await s.usageHistory(as: caller, licenseID: id) }
            #expect(usage?.reason == .notVisible)
        }

        // Nothing the denied calls asked for happened.
        let stored = try #require(try await f.license(id))
        #expect(stored.revokedAt == nil && stored.isActive)
        #expect(try await f.store.agent(named: "viewer")?.role == "viewer")
        #expect(try await f.store.agent(named: "viewer")?.tier == "FREE")
        #expect(try await f.store.agent(named: "admin")?.status == .active)
        #expect(try await f.store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 10)).items.count == 1)

        // Allowed: the owner reads, everyone validates, the admin does everything.
        #expect(try await s.licenseInfo(as: editor, id: id).license.id == id)
        #expect(try await s.usageHistory(as: editor, licenseID: id).items.isEmpty)
        #expect(try await s.validateLicenseKey(as: viewer, key: generated.key).valid)
        #expect(try await s.licenseInfo(as: admin, id: id).license.id == id)
        #expect(try await s.usageHistory(as: admin, licenseID: id).items.count == 1)
        #expect(try await s.revokeLicenseKey(as: admin, id: id).alreadyRevoked == false)

        // Every check, ALLOW and DENY, left one audit row (V-RBAC-2).
        let checks = try await f.auditEvents("permission_check")
        let denials = checks.filter { $0.details["result"] == "DENY" }
        let expectedDenials = 2 * 5 + 1 + 2 * 2  // viewer and editor × 5, viewer's generate, 2 non-owners × 2
        let expectedAllows = 1 + 6  // the first generate, and the six allowed calls
        #expect(denials.count == expectedDenials)
        #expect(checks.count == expectedDenials + expectedAllows)
    }

    @Test(arguments: StoreBackend.allCases)
    func crossNamespaceAccessIsDenied(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let ownerA = try await f.agent("owner-a", role: .editor, namespace: "a")
        let editorB = try await f.agent("editor-b", role: .editor, namespace: "b")
        let adminC = try await f.agent("admin-c", role: .admin, namespace: "c")
        let generated = try await f.generate(by: ownerA)
        let id = generated.license.id
        let denied = LicenseError(.permissionDenied, "")

        let info = await #expect(throws: denied) { try await f.service.licenseInfo(as: editorB, id: id) }
        #expect(info?.reason == .notVisible)
        let usage = await #expect(throws: denied) { try await f.service.usageHistory(as: editorB, licenseID: id) }
        #expect(usage?.reason == .notVisible)

        // Even as its owner: a license living in namespace "a" is not readable from namespace "b".
        let key = ServiceFixture.signer.key(tier: .pro, id: UUID(), expiresAt: nil)
        let planted = try await f.store.insertLicense(
            NewLicense(
                id: key.id, ownerID: editorB.agentID, namespace: "a", tier: "PRO", keyHash: LicenseSigner.hash(key.text),
                issuedAt: f.clock.date, expiresAt: nil))
        let owned = await #expect(throws: denied) { try await f.service.licenseInfo(as: editorB, id: planted.id) }
        #expect(owned?.reason == .notVisible)
        await #expect(throws: denied) { try await f.service.usageHistory(as: editorB, licenseID: planted.id) }

        // Missing and not yours read alike (#15, item 13); the audit rows keep the policy's reasons.
        let missing = UUID()
        let absent = await #expect(throws: denied) { try await f.service.licenseInfo(as: editorB, id: missing) }
        #expect(absent?.reason == .notVisible)
        let absentMessage = absent?.message.replacingOccurrences(of: missing.canonicalText, with: "ID")
        #expect(absentMessage == info?.message.replacingOccurrences(of: id.canonicalText, with: "ID"))
        let reasons = try await f.auditEvents("permission_check").filter { $0.userID == editorB.agentID && $0.details["result"] == "DENY" }
            .map { $0.details["reason"] ?? "" }
        #expect(Set(reasons) == ["cross_namespace", "resource_required"])

        // Validation needs no namespace: holding the key is the authority.
        #expect(try await f.service.validateLicenseKey(as: editorB, key: generated.key).valid)

        // The admin, in yet another namespace, may read both.
        #expect(try await f.service.licenseInfo(as: adminC, id: id).license.namespace == "a")
        #expect(try await f.service.usageHistory(as: adminC, licenseID: id).items.count == 1)
        #expect(try await f.service.licenseInfo(as: adminC, id: planted.id).license.ownerID == editorB.agentID)
        let checks = try await f.auditEvents("permission_check").filter { $0.userID == adminC.agentID }
        #expect(checks.allSatisfy { $0.details["reason"] == "admin_override" })
    }

    @Test(arguments: StoreBackend.allCases)
    func listLicensesIsScoped(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin, namespace: "ops")
        let former = try await f.agent("former-editor", role: .editor)
        let editor = try await f.agent("editor", role: .editor)
        let bystander = try await f.agent("bystander", role: .viewer)
        let own1 = try await f.generate(by: former, tier: .pro)
        f.clock.advance(by: 1)
        let own2 = try await f.generate(by: former, tier: .enterprise, days: nil)
        f.clock.advance(by: 1)
        let others = try await f.generate(by: editor, tier: .enterprise)
        f.clock.advance(by: 1)
        let admins = try await f.generate(by: admin, tier: .free)
        // The former editor is now a viewer that owns two licenses.
        _ = try await f.agents.setAgentRole(as: admin, agentNamed: "former-editor", to: .viewer)
        let viewer = former

        let mine = try await f.service.listLicenses(as: viewer)
        #expect(mine.items.map(\.id) == [own2.license.id, own1.license.id])
        #expect(try await f.service.listLicenses(as: viewer, filter: LicenseFilter(tier: "PRO")).items.map(\.id) == [own1.license.id])
        #expect(try await f.service.listLicenses(as: viewer, filter: LicenseFilter(ownerID: viewer.agentID)).items.count == 2)
        #expect(try await f.service.listLicenses(as: bystander).items.isEmpty)
        let denied = LicenseError(.permissionDenied, "")
        let other = await #expect(throws: denied) {
            try await f.service.listLicenses(as: viewer, filter: LicenseFilter(ownerID: editor.agentID))
        }
        #expect(other?.reason == .notOwner)
        await #expect(throws: denied) { try await f.service.listLicenses(as: viewer, filter: LicenseFilter(namespace: "ops")) }
        await #expect(throws: denied) { try await f.service.listLicenses(as: editor, filter: LicenseFilter(ownerID: admin.agentID)) }

        // The admin sees all of them, newest first, with any filter.
        let all = [admins, others, own2, own1].map(\.license.id)
        #expect(try await f.service.listLicenses(as: admin).items.map(\.id) == all)
        #expect(try await f.service.listLicenses(as: admin, filter: LicenseFilter(ownerID: editor.agentID)).items.map(\.id) == [others.license.id])
        #expect(try await f.service.listLicenses(as: admin, filter: LicenseFilter(namespace: "ops")).items.map(\.id) == [admins.license.id])
        #expect(
            try await f.service.listLicenses(as: admin, filter: LicenseFilter(tier: "ENTERPRISE")).items.map(\.id)
                == [others.license.id, own2.license.id])
        _ = try await f.service.revokeLicenseKey(as: admin, id: others.license.id)
        #expect(try await f.service.listLicenses(as: admin, filter: LicenseFilter(status: .revoked)).items.map(\.id) == [others.license.id])
        #expect(try await f.service.listLicenses(as: admin, filter: LicenseFilter(status: .active)).items.count == 3)
        f.clock.advance(by: 31 * 86_400)
        #expect(
            try await f.service.listLicenses(as: admin, filter: LicenseFilter(status: .expired)).items.map(\.id)
                == [admins.license.id, own1.license.id])

        // Pages of one, following the cursor.
        var paged: [UUID] = []
        var cursor: String?
        repeat {
            let page = try await f.service.listLicenses(as: admin, limit: 1, cursor: cursor)
            paged += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil && paged.count < 10
        #expect(paged == all)
        for limit in [0, 1001] {
            await #expect(throws: LicenseError(.invalidArgument, "")) { try await f.service.listLicenses(as: admin, limit: limit) }
        }
        await #expect(throws: LicenseError(.invalidArgument, "")) { try await f.service.listLicenses(as: admin, cursor: "forged") }
    }
}
