import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func createAndFetch(_ f: ConformanceFixture) async throws {
        let created = try await f.store.createAgent(
            NewAgent(name: "billing-bot", displayName: "Billing", namespace: "acme", role: "editor"))
        #expect(created.createdAt == f.clock.date)
        #expect(created.status == .active)
        #expect(created.tier == "FREE")
        #expect(try await f.store.agent(id: created.id) == created)
        #expect(try await f.store.agent(named: "billing-bot") == created)
        #expect(try await f.store.agent(id: UUID()) == nil)
        #expect(try await f.store.agent(named: "nobody") == nil)
    }

    static func defaultRoleIsViewer(_ f: ConformanceFixture) async throws {
        let agent = try await f.store.createAgent(NewAgent(name: "a", namespace: "default"))
        #expect(agent.role == "viewer")
    }

    static func unknownRoleRoundTrips(_ f: ConformanceFixture) async throws {
        let agent = try await f.agent("odd", role: "superuser")
        #expect(try await f.store.agent(id: agent.id)?.role == "superuser")
        let updated = try await f.store.updateAgent(id: agent.id, AgentChange(role: "Root "))
        #expect(try await f.store.agent(id: agent.id)?.role == "Root ")
        #expect(updated.role == "Root ")
    }

    static func duplicatesConflict(_ f: ConformanceFixture) async throws {
        let agent = try await f.agent("a")
        await #expect(throws: StorageError(.conflict, "")) { try await f.agent("a") }
        await #expect(throws: StorageError(.conflict, "")) {
            try await f.store.createAgent(NewAgent(id: agent.id, name: "b", namespace: "default"))
        }
        await #expect(throws: StorageError(.invalidArgument, "")) {
            try await f.store.createAgent(NewAgent(name: "", namespace: "default"))
        }
        await #expect(throws: StorageError(.invalidArgument, "")) {
            try await f.store.createAgent(NewAgent(name: "x", namespace: String(repeating: "n", count: 300)))
        }
    }

    static func updateChangesAndAudits(_ f: ConformanceFixture) async throws {
        let agent = try await f.agent("a")
        f.clock.advance(by: 60)
        let updated = try await f.store.updateAgent(id: agent.id, AgentChange(role: "admin", tier: "PRO")) { old, new in
            NewAuditEvent(eventType: "role_changed", userID: new.id, details: ["from": old.role, "to": new.role])
        }
        #expect(updated.role == "admin")
        #expect(updated.tier == "PRO")
        #expect(updated.updatedAt == f.clock.date)
        #expect(updated.createdAt == agent.createdAt)
        #expect(try await f.store.agent(id: agent.id) == updated)
        let events = try await f.store.auditEvents(matching: AuditFilter(eventType: "role_changed"), page: PageRequest(limit: 10))
        #expect(events.items.map(\.details) == [["from": "viewer", "to": "admin"]])
        await #expect(throws: StorageError(.notFound, "")) {
            try await f.store.updateAgent(id: UUID(), AgentChange(role: "admin"))
        }
    }
}
