import Foundation
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite struct APIKeyAuthenticatorTests {
    @Test(arguments: StoreBackend.allCases)
    func roundTripAndStoredForm(_ backend: StoreBackend) async throws {
        let handle = try await backend.makeStore()
        let store = handle.store
        let agent = try await store.createAgent(NewAgent(name: "a", namespace: "ns"))
        let auth = APIKeyAuthenticator(store: store)
        let issued = try await auth.issueKey(for: agent.id)
        #expect(issued.key.hasPrefix("tmws_ak_"))
        #expect(issued.key.utf8.count == APIKeyAuthenticator.keyLength)
        #expect(APIKeyAuthenticator.isWellFormed(issued.key))
        let principal = try await auth.authenticate(issued.key)
        #expect(principal.agentID == agent.id)
        #expect(principal.keyID == issued.record.id)

        // The stored row holds no plaintext key: only its hash and a short prefix.
        let stored = try #require(try await store.apiKeys(agentID: agent.id).first)
        #expect(stored.keyHash == Digest.sha256Hex(issued.key))
        #expect(stored.keyHash.utf8.count == 64)
        #expect(stored.prefix.utf8.count == 16)
        #expect(issued.key.hasPrefix(stored.prefix))
        #expect(!stored.keyHash.contains(issued.key.dropFirst(8)))
        #expect(stored.lastUsedAt != nil)
        #expect(!issued.description.contains(issued.key))
        #expect(!String(describing: stored).contains(String(issued.key.dropFirst(16))))
    }

    @Test(arguments: StoreBackend.allCases)
    func badKeysAreUnauthenticated(_ backend: StoreBackend) async throws {
        let handle = try await backend.makeStore()
        let store = handle.store
        let agent = try await store.createAgent(NewAgent(name: "a", namespace: "ns"))
        let auth = APIKeyAuthenticator(store: store)
        let issued = try await auth.issueKey(for: agent.id)

        // Wrong key of the right format.
        var wrong = Array(issued.key)
        wrong[wrong.count - 1] = wrong.last == "A" ? "B" : "A"
        let candidates = [
            String(wrong), "", "tmws_ak_", "tmws_ak_short", issued.key + "x", String(issued.key.dropLast()),
            issued.key.uppercased(), "Bearer " + issued.key, String(repeating: "a", count: 1_000_000),
            "tmws_ak_" + String(repeating: "é", count: 43), "tmws_ak_" + String(repeating: "+", count: 43),
        ]
        for candidate in candidates {
            await #expect(throws: AccessError.unauthenticated) { try await auth.authenticate(candidate) }
        }

        // Revoked key.
        _ = try await auth.revokeKey(agentID: agent.id, prefix: issued.record.prefix)
        await #expect(throws: AccessError.unauthenticated) { try await auth.authenticate(issued.key) }

        // Suspended agent.
        let second = try await auth.issueKey(for: agent.id)
        #expect(try await auth.authenticate(second.key).agentID == agent.id)
        _ = try await store.updateAgent(id: agent.id, AgentChange(status: .suspended))
        await #expect(throws: AccessError.unauthenticated) { try await auth.authenticate(second.key) }
    }

    @Test func keysAreDistinctAndUseTheInjectedRandomSource() async throws {
        struct Fixed: SecureRandom {
            func bytes(_ count: Int) -> [UInt8] { Array(repeating: 0xfb, count: count) }
        }
        let store = MemoryStore()
        let agent = try await store.createAgent(NewAgent(name: "a", namespace: "ns"))
        let fixed = try await APIKeyAuthenticator(store: store, random: Fixed()).issueKey(for: agent.id)
        #expect(fixed.key == "tmws_ak_" + String(repeating: "-_v7", count: 10) + "-_s")
        let auth = APIKeyAuthenticator(store: store)
        var seen = Set<String>()
        for _ in 0..<50 { seen.insert(try await auth.issueKey(for: agent.id).key) }
        #expect(seen.count == 50)
    }

    @Test func unknownAgentCannotGetAKey() async throws {
        await #expect(throws: StorageError(.notFound, "")) {
            try await APIKeyAuthenticator(store: MemoryStore()).issueKey(for: UUID())
        }
    }

    @Test func failingStorageIsUnavailableNotAuthenticated() async throws {
        let base = MemoryStore()
        let agent = try await base.createAgent(NewAgent(name: "a", namespace: "ns"))
        let faulty = InterceptingStore(base)
        let auth = APIKeyAuthenticator(store: faulty)
        let issued = try await auth.issueKey(for: agent.id)
        faulty.fail([.resolveAPIKey])
        await #expect(throws: AccessError(.unavailable, "")) { try await auth.authenticate(issued.key) }
        faulty.heal()
        faulty.fail([.recordAPIKeyUse])
        #expect(try await auth.authenticate(issued.key).agentID == agent.id)
    }

    @Test func digestMatchesKnownVector() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.hex([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }
}
