import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite("Store conformance: agents and API keys")
struct AgentConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func createAndFetch(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
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

    @Test(arguments: StoreBackend.allCases)
    func defaultRoleIsViewer(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let agent = try await f.store.createAgent(NewAgent(name: "a", namespace: "default"))
        #expect(agent.role == "viewer")
    }

    @Test(arguments: StoreBackend.allCases)
    func unknownRoleRoundTrips(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let agent = try await f.agent("odd", role: "superuser")
        #expect(try await f.store.agent(id: agent.id)?.role == "superuser")
        let updated = try await f.store.updateAgent(id: agent.id, AgentChange(role: "Root "))
        #expect(try await f.store.agent(id: agent.id)?.role == "Root ")
        #expect(updated.role == "Root ")
    }

    @Test(arguments: StoreBackend.allCases)
    func duplicatesConflict(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
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

    @Test(arguments: StoreBackend.allCases)
    func listFiltersAndPages(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        for index in 0..<7 {
            try await f.agent("agent-\(index)", namespace: index.isMultiple(of: 2) ? "even" : "odd", role: index < 3 ? "editor" : "viewer")
        }
        let suspended = try await f.agent("zz-suspended")
        _ = try await f.store.updateAgent(id: suspended.id, AgentChange(status: .suspended))

        let all = try await f.collect(limit: 2) { try await f.store.agents(matching: AgentFilter(), page: $0) }
        #expect(all.map(\.name) == (0..<7).map { "agent-\($0)" } + ["zz-suspended"])
        let editors = try await f.collect(limit: 1) { try await f.store.agents(matching: AgentFilter(role: "editor"), page: $0) }
        #expect(editors.map(\.name) == ["agent-0", "agent-1", "agent-2"])
        let even = try await f.store.agents(matching: AgentFilter(namespace: "even"), page: PageRequest(limit: 100))
        #expect(even.items.map(\.name) == ["agent-0", "agent-2", "agent-4", "agent-6"])
        #expect(even.nextCursor == nil)
        let suspendedOnly = try await f.store.agents(matching: AgentFilter(status: .suspended), page: PageRequest(limit: 10))
        #expect(suspendedOnly.items.map(\.name) == ["zz-suspended"])
        #expect(try await f.store.allAgents().count == 8)
    }

    @Test(arguments: StoreBackend.allCases)
    func updateChangesAndAudits(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
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

    @Test(arguments: StoreBackend.allCases)
    func apiKeyLifecycle(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let agent = try await f.agent("a")
        let hash = String(repeating: "ab", count: 32)
        let key = try await f.store.addAPIKey(agentID: agent.id, keyHash: hash, prefix: "tmws_ak_abcd")
        #expect(key.lastUsedAt == nil)
        let resolved = try #require(try await f.store.resolveAPIKey(hash: hash))
        #expect(resolved.key == key)
        #expect(resolved.agent == agent)
        #expect(try await f.store.resolveAPIKey(hash: String(repeating: "cd", count: 32)) == nil)

        f.clock.advance(by: 5)
        try await f.store.recordAPIKeyUse(id: key.id)
        #expect(try await f.store.apiKeys(agentID: agent.id).first?.lastUsedAt == f.clock.date)

        await #expect(throws: StorageError(.conflict, "")) {
            try await f.store.addAPIKey(agentID: agent.id, keyHash: hash, prefix: "tmws_ak_abcd")
        }
        await #expect(throws: StorageError(.notFound, "")) {
            try await f.store.addAPIKey(agentID: UUID(), keyHash: String(repeating: "ef", count: 32), prefix: "p")
        }
        let revoked = try await f.store.revokeAPIKey(id: key.id)
        #expect(revoked.revokedAt == f.clock.date)
        f.clock.advance(by: 5)
        #expect(try await f.store.revokeAPIKey(id: key.id).revokedAt == revoked.revokedAt)
        #expect(try await f.store.resolveAPIKey(hash: hash) == nil)
        #expect(try await f.store.apiKeys(agentID: agent.id).count == 1)
        await #expect(throws: StorageError(.notFound, "")) { try await f.store.revokeAPIKey(id: UUID()) }
        await #expect(throws: StorageError(.notFound, "")) { try await f.store.recordAPIKeyUse(id: UUID()) }
    }

    @Test(arguments: StoreBackend.allCases)
    func resolvedKeyReportsSuspendedAgent(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let agent = try await f.agent("a")
        let hash = String(repeating: "12", count: 32)
        _ = try await f.store.addAPIKey(agentID: agent.id, keyHash: hash, prefix: "p")
        _ = try await f.store.updateAgent(id: agent.id, AgentChange(status: .suspended))
        #expect(try await f.store.resolveAPIKey(hash: hash)?.agent.status == .suspended)
    }
}
