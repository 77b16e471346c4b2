import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// Every operation fails closed when storage fails: an `unavailable` error, never a favourable
/// answer and never a half-done write; and everything works again once storage heals.
@Suite struct FaultInjectionTests {
    static let faults: [InterceptingStore.Fault] = [.unavailable, .diskFull, .busy, .corrupt]

    struct World {
        let f: ServiceFixture
        let faults: InterceptingStore
        let admin: Principal
        let editor: Principal
        let generated: GeneratedLicense

        init(_ backend: StoreBackend) async throws {
            f = try await ServiceFixture(backend, injectingFaults: true)
            faults = try #require(f.faults)
            admin = try await f.agent("admin", role: .admin)
            editor = try await f.agent("editor", role: .editor)
            _ = try await f.agent("target", role: .viewer)
            generated = try await f.generate(by: editor)
        }

        /// Runs every service operation once; each must throw `unavailable`.
        func everyOperationIsUnavailable() async {
            let s = f.service, a = f.agents, audit = f.audit, id = generated.license.id, key = generated.key
            let unavailable = LicenseError(.unavailable, "")
            await #expect(throws: unavailable) { try await s.generateLicenseKey(as: editor, tier: .enterprise, expiresDays: 30) }
            await #expect(throws: unavailable) { try await s.validateLicenseKey(as: editor, key: key) }
            await #expect(throws: unavailable) { try await s.validateLicenseKey(as: editor, key: "TMWS-garbage") }
            await #expect(throws: unavailable) { try await s.revokeLicenseKey(as: admin, id: id, reason: "fault") }
            await #expect(throws: unavailable) { try await s.usageHistory(as: editor, licenseID: id) }
            await #expect(throws: unavailable) { try await s.licenseInfo(as: editor, id: id) }
            await #expect(throws: unavailable) { try await s.listLicenses(as: admin) }
            await #expect(throws: unavailable) { try await a.setAgentRole(as: admin, agentNamed: "target", to: .admin) }
            await #expect(throws: unavailable) { try await a.setAgentTier(as: admin, agentNamed: "target", to: .enterprise) }
            await #expect(throws: unavailable) { try await a.setAgentStatus(as: admin, agentNamed: "target", to: .suspended) }
            await #expect(throws: unavailable) { try await audit.events(as: admin) }
        }

        /// Nothing the failed operations asked for was written.
        func nothingChanged() async throws {
            let license = try #require(try await f.license(generated.license.id))
            #expect(license.isActive && license.revokedAt == nil && license.validationCount == 0)
            #expect(try await f.store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 10)).items.count == 1)
            #expect(try await f.usageCounts().total == 0)
            let target = try #require(try await f.store.agent(named: "target"))
            #expect(target.role == "viewer" && target.tier == "FREE" && target.status == .active)
            for type: AuditEventType in [.licenseRevoked, .roleChanged, .tierChanged, .statusChanged] {
                #expect(try await f.auditEvents(type).isEmpty)
            }
            #expect(try await f.auditEvents("license_generated").count == 1)
            // No permission check that storage failed was recorded as ALLOW.
            let checks = try await f.auditEvents("permission_check")
            #expect(checks.allSatisfy { $0.details["result"] == "DENY" || $0.details["reason"] != "storage_unavailable" })
        }

        /// Every operation succeeds.
        func everyOperationWorks() async throws {
            let s = f.service, a = f.agents, audit = f.audit, id = generated.license.id
            #expect(try await s.validateLicenseKey(as: editor, key: generated.key).valid)
            #expect(try await s.licenseInfo(as: editor, id: id).validationCount == 1)
            #expect(try await s.usageHistory(as: editor, licenseID: id).items.count == 1)
            #expect(try await s.listLicenses(as: admin).items.count == 1)
            _ = try await s.generateLicenseKey(as: editor, tier: .free)
            #expect(try await a.setAgentTier(as: admin, agentNamed: "target", to: .pro).tier == "PRO")
            #expect(try await a.setAgentRole(as: admin, agentNamed: "target", to: .editor).role == "editor")
            #expect(try await a.setAgentStatus(as: admin, agentNamed: "target", to: .suspended).status == .suspended)
            #expect(try await s.revokeLicenseKey(as: admin, id: id).alreadyRevoked == false)
            #expect(try await audit.events(as: admin, limit: 5).items.count == 5)
        }
    }

    @Test(arguments: StoreBackend.allCases, FaultInjectionTests.faults)
    func everyOperationFailsClosedWhenAllStorageFails(_ backend: StoreBackend, _ fault: InterceptingStore.Fault) async throws {
        let world = try await World(backend)
        world.faults.failAll(with: fault)
        await world.everyOperationIsUnavailable()
        world.faults.heal()
        try await world.nothingChanged()
        try await world.everyOperationWorks()
    }

    /// Only the permission check fails: every operation is denied with `unavailable`.
    @Test(arguments: StoreBackend.allCases, FaultInjectionTests.faults)
    func everyOperationFailsClosedWhenThePermissionCheckFails(_ backend: StoreBackend, _ fault: InterceptingStore.Fault) async throws {
        let world = try await World(backend)
        world.faults.fail([.checkAgent], with: fault)
        await world.everyOperationIsUnavailable()
        world.faults.heal()
        try await world.nothingChanged()
        // The denials were still audited (the audit append itself was healthy).
        let denials = try await world.f.auditEvents("permission_check").filter { $0.details["reason"] == "storage_unavailable" }
        #expect(denials.count == 11)
        #expect(denials.allSatisfy { $0.details["result"] == "DENY" })
        try await world.everyOperationWorks()
    }

    /// Storage fails after the permission was granted, in the step that does the work.
    @Test(arguments: StoreBackend.allCases)
    func failuresAfterTheCheckAreUnavailable(_ backend: StoreBackend) async throws {
        let world = try await World(backend)
        let s = world.f.service, a = world.f.agents, audit = world.f.audit, id = world.generated.license.id, key = world.generated.key
        let (admin, editor) = (world.admin, world.editor)
        let unavailable = LicenseError(.unavailable, "")
        for fault in Self.faults {
            let cases: [(InterceptingStore.Operation, @Sendable () async throws -> Void)] = [
                (.insertLicense, { _ = try await s.generateLicenseKey(as: editor, tier: .pro) }),
                (.recordValidation, { _ = try await s.validateLicenseKey(as: editor, key: key) }),
                (.revokeLicense, { _ = try await s.revokeLicenseKey(as: admin, id: id) }),
                (.license, { _ = try await s.licenseInfo(as: editor, id: id) }),
                (.license, { _ = try await s.usageHistory(as: editor, licenseID: id) }),
                (.usageHistory, { _ = try await s.usageHistory(as: editor, licenseID: id) }),
                (.licenses, { _ = try await s.listLicenses(as: admin) }),
                (.agentByName, { _ = try await a.setAgentRole(as: admin, agentNamed: "target", to: .admin) }),
                (.updateAgent, { _ = try await a.setAgentRole(as: admin, agentNamed: "target", to: .admin) }),
                (.updateAgent, { _ = try await a.setAgentTier(as: admin, agentNamed: "target", to: .enterprise) }),
                (.updateAgent, { _ = try await a.setAgentStatus(as: admin, agentNamed: "target", to: .suspended) }),
                (.auditEvents, { _ = try await audit.events(as: admin) }),
            ]
            for (operation, call) in cases {
                world.faults.fail([operation], with: fault)
                let error = await #expect(throws: LicenseError.self, "\(operation) with \(fault)") { try await call() }
                #expect(error?.code == unavailable.code, "\(operation) with \(fault)")
                world.faults.heal()
            }
        }
        try await world.nothingChanged()
        try await world.everyOperationWorks()
    }
}
