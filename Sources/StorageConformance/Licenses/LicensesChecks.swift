import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func insertAndFetch(_ f: ConformanceFixture) async throws {
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

    static func insertConflictsAndMissingOwner(_ f: ConformanceFixture) async throws {
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

    static func insertWritesItsAuditEventAtomically(_ f: ConformanceFixture) async throws {
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
}
