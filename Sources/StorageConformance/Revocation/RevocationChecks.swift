import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func revokeIsIdempotent(_ f: ConformanceFixture) async throws {
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
}
