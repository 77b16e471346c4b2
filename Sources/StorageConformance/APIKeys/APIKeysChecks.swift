import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func apiKeyLifecycle(_ f: ConformanceFixture) async throws {
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

    static func resolvedKeyReportsSuspendedAgent(_ f: ConformanceFixture) async throws {
        let agent = try await f.agent("a")
        let hash = String(repeating: "12", count: 32)
        _ = try await f.store.addAPIKey(agentID: agent.id, keyHash: hash, prefix: "p")
        _ = try await f.store.updateAgent(id: agent.id, AgentChange(status: .suspended))
        #expect(try await f.store.resolveAPIKey(hash: hash)?.agent.status == .suspended)
    }
}
