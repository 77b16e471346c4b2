import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func appendAndQueryNewestFirst(_ f: ConformanceFixture) async throws {
        let user = UUID()
        let first = try await f.store.appendAuditEvent(
            NewAuditEvent(eventType: "permission_check", userID: user, details: ["operation": "license:read", "result": "ALLOW"]))
        f.clock.advance(by: 1)
        let second = try await f.store.appendAuditEvent(
            NewAuditEvent(eventType: "license_generated", severity: .warning, userID: nil, details: ["quote": "a \"b\"\n\u{1}"]))
        #expect(first.createdAt < second.createdAt)
        #expect(first.id < second.id)
        let page = try await f.store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 10))
        #expect(page.items == [second, first])
        #expect(page.nextCursor == nil)
        #expect(page.items[0].details["quote"] == "a \"b\"\n\u{1}")
        #expect(page.items[0].severity == .warning)
    }

    static func filtersAndCounts(_ f: ConformanceFixture) async throws {
        let alice = UUID(), bob = UUID()
        let start = f.clock.date
        for index in 0..<12 {
            let result = index % 3 == 0 ? "DENY" : "ALLOW"
            _ = try await f.store.appendAuditEvent(
                NewAuditEvent(
                    eventType: index % 4 == 0 ? "license_generated" : "permission_check",
                    userID: index.isMultiple(of: 2) ? alice : bob, details: ["result": result]))
            f.clock.advance(by: 60)
        }
        func ids(_ filter: AuditFilter) async throws -> Int {
            let listed = try await f.collect(limit: 5) { try await f.store.auditEvents(matching: filter, page: $0) }
            let counted = try await f.store.countAuditEvents(matching: filter)
            #expect(listed.count == counted)
            #expect(listed.allSatisfy(filter.matches))
            return counted
        }
        #expect(try await ids(AuditFilter()) == 12)
        #expect(try await ids(AuditFilter(eventType: "license_generated")) == 3)
        #expect(try await ids(AuditFilter(userID: alice)) == 6)
        #expect(try await ids(AuditFilter(result: "DENY")) == 4)
        #expect(try await ids(AuditFilter(eventType: "permission_check", result: "DENY")) == 3)
        // A window: events 3…6 (since inclusive, until exclusive).
        #expect(try await ids(AuditFilter(since: start + 180, until: start + 420)) == 4)
        #expect(try await ids(AuditFilter(userID: UUID())) == 0)
    }

    static func checkAgentDecidesOnWhatItAudits(_ f: ConformanceFixture) async throws {
        let agent = try await f.agent("a", role: "editor")
        let seen = try await f.store.checkAgent(id: agent.id) { found, now in
            (found?.role, NewAuditEvent(eventType: "permission_check", userID: agent.id, details: ["role": found?.role ?? "-"]))
        }
        #expect(seen == "editor")
        let missing = UUID()
        let none = try await f.store.checkAgent(id: missing) { found, _ in
            (found == nil, NewAuditEvent(eventType: "permission_check", userID: missing, details: ["result": "DENY"]))
        }
        #expect(none)
        let events = try await f.store.auditEvents(matching: AuditFilter(eventType: "permission_check"), page: .init(limit: 10))
        #expect(events.items.count == 2)
        #expect(events.items.last?.details == ["role": "editor"])
        #expect(events.items.first?.userID == missing)
    }
}
