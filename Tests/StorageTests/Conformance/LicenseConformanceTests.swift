import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite("Store conformance: licenses, revocation, validation, usage")
struct LicenseConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func insertAndFetch(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner", namespace: "acme")
        let expiry = f.clock.date + 86_400 * 30 + 0.000_9
        let license = try await f.license(owner: owner, expiresAt: expiry)
        #expect(license.expiresAt == Timestamp.truncated(expiry))
        #expect(license.isActive)
        #expect(license.validationCount == 0)
        #expect(license.namespace == "acme")
        #expect(try await f.store.license(id: license.id) == license)
        #expect(try await f.store.license(id: UUID()) == nil)
        #expect(license.status(at: f.clock.date) == .active)
        #expect(license.status(at: expiry) == .expired)
    }

    @Test(arguments: StoreBackend.allCases)
    func insertConflictsAndMissingOwner(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner, hash: String(repeating: "a", count: 64))
        await #expect(throws: StorageError(.conflict, "")) { try await f.license(owner: owner, id: license.id) }
        await #expect(throws: StorageError(.conflict, "")) {
            try await f.license(owner: owner, hash: String(repeating: "a", count: 64))
        }
        let ghost = Agent(id: UUID(), name: "ghost", namespace: "default", createdAt: f.clock.date, updatedAt: f.clock.date)
        await #expect(throws: StorageError(.notFound, "")) { try await f.license(owner: ghost) }
        let events = try await f.store.countAuditEvents(matching: AuditFilter())
        #expect(events == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func insertWritesItsAuditEventAtomically(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner")
        let id = UUID()
        _ = try await f.store.insertLicense(
            NewLicense(id: id, ownerID: owner.id, namespace: "default", tier: "FREE", keyHash: "h1", issuedAt: f.clock.date, expiresAt: nil),
            audit: NewAuditEvent(eventType: "license_generated", userID: owner.id, details: ["license_id": id.uuidString]))
        await #expect(throws: StorageError(.conflict, "")) {
            try await f.store.insertLicense(
                NewLicense(id: id, ownerID: owner.id, namespace: "default", tier: "FREE", keyHash: "h2", issuedAt: f.clock.date, expiresAt: nil),
                audit: NewAuditEvent(eventType: "license_generated", userID: owner.id))
        }
        #expect(try await f.store.countAuditEvents(matching: AuditFilter(eventType: "license_generated")) == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func listFiltersAndPagesWithTies(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let alice = try await f.agent("alice", namespace: "a")
        let bob = try await f.agent("bob", namespace: "b")
        var inserted: [License] = []
        for index in 0..<20 {
            if index % 5 == 0 { f.clock.advance(by: 1) }  // groups of five share a created_at
            let expiry: Date? = index % 4 == 0 ? f.clock.date + 10 : nil
            inserted.append(try await f.license(owner: index < 12 ? alice : bob, tier: index % 2 == 0 ? "PRO" : "FREE", expiresAt: expiry))
        }
        _ = try await f.store.revokeLicense(id: inserted[1].id, reason: "test", revokedBy: alice.id)
        f.clock.advance(by: 60)  // the dated ones are expired now

        func list(_ filter: LicenseFilter, limit: Int = 3) async throws -> [License] {
            try await f.collect(limit: limit) { try await f.store.licenses(matching: filter, page: $0) }
        }
        let newestFirst = inserted.sorted { ($0.createdAt, $0.id.uuidString.lowercased()) > ($1.createdAt, $1.id.uuidString.lowercased()) }
        #expect(try await list(LicenseFilter()).map(\.id) == newestFirst.map(\.id))
        #expect(try await list(LicenseFilter(), limit: 1).map(\.id) == newestFirst.map(\.id))
        #expect(try await list(LicenseFilter(ownerID: alice.id)).count == 12)
        #expect(try await list(LicenseFilter(namespace: "b")).count == 8)
        #expect(try await list(LicenseFilter(tier: "PRO")).count == 10)
        #expect(try await list(LicenseFilter(status: .revoked)).map(\.id) == [inserted[1].id])
        #expect(try await list(LicenseFilter(status: .expired)).count == 5)
        #expect(try await list(LicenseFilter(status: .active)).count == 14)
        #expect(try await list(LicenseFilter(ownerID: bob.id, tier: "PRO", status: .active)).count == 2)
        let since = inserted[5].createdAt
        #expect(try await f.store.countLicenses(createdSince: since, until: nil) == 15)
        #expect(try await f.store.countLicenses(createdSince: since, until: inserted[10].createdAt) == 5)
    }

    @Test(arguments: StoreBackend.allCases)
    func revokeIsIdempotent(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let admin = try await f.agent("admin", role: "admin")
        let license = try await f.license(owner: admin)
        let audit: @Sendable (Revocation) -> NewAuditEvent? = {
            NewAuditEvent(eventType: "license_revoked", userID: admin.id, details: ["already_revoked": "\($0.alreadyRevoked)"])
        }
        let first = try await f.store.revokeLicense(id: license.id, reason: "fraud", revokedBy: admin.id, audit: audit)
        #expect(!first.alreadyRevoked)
        #expect(first.revokedAt == f.clock.date)
        #expect(first.reason == "fraud")
        #expect(first.license.isActive == false)
        f.clock.advance(by: 30)
        let second = try await f.store.revokeLicense(id: license.id, reason: "other", revokedBy: nil, audit: audit)
        #expect(second.alreadyRevoked)
        #expect(second.revokedAt == first.revokedAt)
        #expect(second.reason == "fraud")
        let stored = try #require(try await f.store.license(id: license.id))
        #expect(stored == first.license)
        #expect(stored.revokedBy == admin.id)
        let events = try await f.store.auditEvents(matching: AuditFilter(eventType: "license_revoked"), page: .init(limit: 10))
        #expect(events.items.map { $0.details["already_revoked"] } == ["true", "false"])
        await #expect(throws: StorageError(.notFound, "")) {
            try await f.store.revokeLicense(id: UUID(), reason: nil, revokedBy: nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func recordValidationAppliesTheDecisionAtomically(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
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

    @Test(arguments: StoreBackend.allCases)
    func validationSeesRevocation(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner)
        _ = try await f.store.revokeLicense(id: license.id, reason: nil, revokedBy: nil)
        let result = try await f.store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: nil) { found, _ in
            found?.revokedAt == nil && found?.isActive == true ? .valid : .invalid("REVOKED")
        }
        #expect(result.decision == .invalid("REVOKED"))
        #expect(result.license?.validationCount == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func usageHistoryPagesWithTies(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner)
        let other = try await f.license(owner: owner)
        var rows: [UsageRecord] = []
        for index in 0..<23 {
            if index % 6 == 0 { f.clock.advance(by: 0.5) }
            rows.append(try await f.store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: "f\(index)") { _, _ in .valid }.usage)
            _ = try await f.store.recordValidation(licenseID: other.id, agentID: owner.id, featureAccessed: nil) { _, _ in .valid }
        }
        for limit in [1, 5, 6, 22, 23, 1000] {
            let listed = try await f.collect(limit: limit) { try await f.store.usageHistory(licenseID: license.id, page: $0) }
            #expect(listed == rows.reversed(), "limit \(limit)")
        }
        let empty = try await f.store.usageHistory(licenseID: UUID(), page: .init(limit: 10))
        #expect(empty.items.isEmpty && empty.nextCursor == nil)
        await #expect(throws: StorageError(.invalidArgument, "")) {
            try await f.store.usageHistory(licenseID: license.id, page: .init(limit: 10, cursor: "dS54LjI"))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func pingSucceeds(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        try await f.store.ping()
    }
}
