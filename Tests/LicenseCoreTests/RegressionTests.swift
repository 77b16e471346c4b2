import Foundation
import GRDB
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Defects of the Python original (TMWS v2.3.0) that must not come back.
@Suite struct RegressionTests {
    static let faults: [InterceptingStore.Fault] = [.unavailable, .diskFull, .busy, .corrupt]

    /// (a) The original answered `valid: true` when storage failed during validation. Here a failing
    /// usage write, or a failing permission check, is an `unavailable` error — never a verdict.
    @Test(arguments: StoreBackend.allCases)
    func storageFailureDuringValidationIsAnError(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend, injectingFaults: true)
        let faults = try #require(f.faults)
        let viewer = try await f.agent("viewer", role: .viewer)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor)
        for operation in [InterceptingStore.Operation.recordValidation, .checkAgent] {
            for fault in Self.faults {
                faults.fail([operation], with: fault)
                await #expect(throws: LicenseError(.unavailable, "")) {
                    try await f.service.validateLicenseKey(as: viewer, key: generated.key, featureAccessed: "\(operation)")
                }
                faults.heal()
            }
        }
        // Nothing was recorded, nothing was counted.
        #expect(try await f.usageCounts().total == 0)
        #expect(try await f.license(generated.license.id)?.validationCount == 0)
        #expect(try await f.service.validateLicenseKey(as: viewer, key: generated.key).valid)
    }

    /// (b) The original checked revocation and recorded usage in separate steps, so a validation
    /// could pass against a license revoked in between. Race 200 validations against one revoke,
    /// on each backend as it is and slowed down around reads and usage writes (``ServiceFixture/pausing(_:pause:tick:)``).
    @Test(arguments: StoreBackend.allCases, [false, true])
    func revocationRacesValidationAtomically(_ backend: StoreBackend, slowed: Bool) async throws {
        let f = try await ServiceFixture(backend, slowed: slowed)
        let admin = try await f.agent("admin", role: .admin)
        let viewer = try await f.agent("viewer", role: .viewer)
        let generated = try await f.generate(by: admin, days: nil)
        let id = generated.license.id, key = generated.key
        let service = f.service, clock = f.clock, start = f.clock.date

        let (results, revocation) = try await withThrowingTaskGroup(of: ([ValidationResult], RevocationResult?).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var results: [ValidationResult] = []
                    for _ in 0..<50 {
                        clock.advance(by: 0.001)  // time moves on, so ordering by time means something
                        results.append(try await service.validateLicenseKey(as: viewer, key: key))
                        await Task.yield()  // the in-memory store never suspends: let the revoker in
                    }
                    return (results, nil)
                }
            }
            group.addTask {
                // Revoke once the validations are under way.
                while clock.date < start + 0.040 {
                    try Task.checkCancellation()
                    await Task.yield()
                }
                return ([], try await service.revokeLicenseKey(as: admin, id: id, reason: "race"))
            }
            var all: [ValidationResult] = []
            var revocation: RevocationResult?
            for try await (results, revoked) in group {
                all += results
                if let revoked { revocation = revoked }
            }
            return (all, revocation)
        }
        let revoked = try #require(revocation)
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0.code == .valid || $0.code == .revoked })
        for result in results where result.valid { #expect(result.validatedAt <= revoked.revokedAt) }
        for result in results where result.code == .revoked { #expect(result.validatedAt >= revoked.revokedAt) }

        let rows = try await f.usageRows(id)
        #expect(rows.count == 200)
        let validRows = rows.filter(\.valid)
        #expect(validRows.count == results.filter(\.valid).count)
        #expect(try await f.license(id)?.validationCount == Int64(validRows.count))
        // In commit order, every VALID row comes before every REVOKED one.
        if let lastValid = validRows.map(\.id).max(), let firstRevoked = rows.filter({ !$0.valid }).map(\.id).min() {
            #expect(lastValid < firstRevoked)
        }
        #expect(rows.allSatisfy { $0.valid || $0.failureReason == "REVOKED" })

        let after = try await f.service.validateLicenseKey(as: viewer, key: key)
        #expect(after.code == .revoked && !after.valid)
        #expect(try await f.license(id)?.validationCount == Int64(validRows.count))
    }

    /// (c) The original raised the generating agent's tier to the license's. Generating changes no
    /// tier; only an admin changes one, and that is audited.
    @Test(arguments: StoreBackend.allCases)
    func editorCannotRaiseItsOwnTier(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let editor = try await f.agent("editor", role: .editor)
        _ = try await f.generate(by: editor, tier: .enterprise, days: nil)
        #expect(try await f.storedAgent(editor)?.tier == "FREE")
        let error = await #expect(throws: LicenseError(.permissionDenied, "")) {
            try await f.agents.setAgentTier(as: editor, agentNamed: "editor", to: .enterprise)
        }
        #expect(error?.reason == .roleLacksPermission)
        #expect(try await f.storedAgent(editor)?.tier == "FREE")
        #expect(try await f.auditEvents("tier_changed").isEmpty)

        let changed = try await f.agents.setAgentTier(as: admin, agentNamed: "editor", to: .enterprise)
        #expect(changed.tier == "ENTERPRISE" && changed.id == editor.agentID)
        #expect(try await f.storedAgent(editor)?.tier == "ENTERPRISE")
        let events = try await f.auditEvents("tier_changed")
        #expect(events.count == 1)
        #expect(events.first?.userID == admin.agentID)
        #expect(events.first?.details["agent"] == "editor")
        #expect(events.first?.details["from"] == "FREE" && events.first?.details["to"] == "ENTERPRISE")
        await #expect(throws: LicenseError(.notFound, "")) { try await f.agents.setAgentTier(as: admin, agentNamed: "nobody", to: .pro) }
    }

    /// (d) The original ignored `is_active = 0` set by an operator. Set it with raw SQL on the file
    /// (only a file database can be reached from outside the store) and the key is REVOKED.
    @Test func deactivatedLicenseIsRevoked() async throws {
        let f = try await ServiceFixture(.sqliteFile)
        let admin = try await f.agent("admin", role: .admin)
        let generated = try await f.generate(by: admin, days: nil)
        let id = generated.license.id
        #expect(try await f.service.validateLicenseKey(as: admin, key: generated.key).valid)

        let directory = try #require(f.handle.directory)
        let queue = try DatabaseQueue(path: directory.path + "/tmws.db")
        let changed = try await queue.write { db in
            try db.execute(sql: "UPDATE license_keys SET is_active = 0 WHERE id = ?", arguments: [id.lower])
            return db.changesCount
        }
        try queue.close()
        #expect(changed == 1)

        let result = try await f.service.validateLicenseKey(as: admin, key: generated.key)
        #expect(result.code == .revoked && !result.valid && result.licenseID == id)
        #expect(try await f.usageRows(id).first?.failureReason == "REVOKED")
        #expect(try await f.license(id)?.validationCount == 1)
        let info = try await f.service.licenseInfo(as: admin, id: id)
        #expect(info.status == .revoked && !info.license.isActive && info.license.revokedAt == nil)
        #expect(try await f.service.listLicenses(as: admin, filter: LicenseFilter(status: .revoked)).items.map(\.id) == [id])
        #expect(try await f.service.listLicenses(as: admin, filter: LicenseFilter(status: .active)).items.isEmpty)
    }

    /// (d) The same rule as a pure decision, for every state a stored license can be in.
    @Test func inactiveLicenseIsRevokedWhateverElseHolds() throws {
        let signer = ServiceFixture.signer
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        for expiresAt in [nil, now + 86_400, now - 86_400] as [Date?] {
            let key = signer.key(tier: .pro, id: UUID(), expiresAt: expiresAt)
            let hash = LicenseSigner.hash(key.text)
            var license = License(
                id: key.id, ownerID: UUID(), namespace: "default", tier: "PRO", keyHash: hash, issuedAt: now - 86_400 * 2,
                expiresAt: expiresAt, isActive: false, createdAt: now - 86_400 * 2)
            #expect(Verdict.decide(key: key, keyHash: hash, license: license, signer: signer, now: now) == .revoked)
            #expect(license.status(at: now) == .revoked)
            license.isActive = true
            let expected: VerdictCode = expiresAt.map { $0 <= now ? .expired : .valid } ?? .valid
            #expect(Verdict.decide(key: key, keyHash: hash, license: license, signer: signer, now: now) == expected)
        }
    }

    /// (e) A revocation is seen by the very next validation: no cache, no delay, same millisecond.
    @Test(arguments: StoreBackend.allCases)
    func revocationIsVisibleToTheNextValidation(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let viewer = try await f.agent("viewer", role: .viewer)
        for _ in 0..<5 {
            let generated = try await f.generate(by: admin)
            #expect(try await f.service.validateLicenseKey(as: viewer, key: generated.key).valid)
            _ = try await f.service.revokeLicenseKey(as: admin, id: generated.license.id)
            #expect(try await f.service.validateLicenseKey(as: viewer, key: generated.key).code == .revoked)
            #expect(try await f.service.licenseInfo(as: admin, id: generated.license.id).status == .revoked)
            #expect(try await f.license(generated.license.id)?.validationCount == 1)
        }
    }
}
