import Foundation
import Synchronization
import TMWSStorage
import TMWSTestSupport
import Testing

/// `InterceptingStore`, the one wrapper the fault-injection and race suites use, forwards every
/// requirement of `Store` as the operation it names: were one taken by a default path instead, a
/// wrapped store would run code its backend does not run in production. (`Store` has no default
/// implementations, so a requirement added and not forwarded does not compile.)
@Suite struct InterceptingStoreTests {
    /// The operations the hook saw, one list per call.
    final class Seen: Sendable {
        let calls = Mutex<[[InterceptingStore.Operation]]>([])
    }

    /// Calls every requirement once through the wrapper; returns what the hook saw, call by call.
    static func callEveryRequirement(
        _ store: InterceptingStore, seen: Seen
    ) async throws
        -> [(InterceptingStore.Operation, [InterceptingStore.Operation])]
    {
        let now = Date()
        var results: [(InterceptingStore.Operation, [InterceptingStore.Operation])] = []
        func call(_ operation: InterceptingStore.Operation, _ body: () async throws -> Void) async throws {
            seen.calls.withLock { $0.append([]) }
            try await body()
            results.append((operation, seen.calls.withLock { $0.last! }))
        }
        let agent = try await store.base.createAgent(NewAgent(name: "owner", namespace: "default", role: "admin"))
        let allow: @Sendable (Agent?, Date) -> AgentCheck<Bool> = { _, _ in AgentCheck(result: true, allowed: true, audit: nil) }
        let valid: @Sendable (License?, Date) -> ValidationDecision = { _, _ in ValidationDecision(valid: true) }
        let hash = String(repeating: "a", count: 64)
        try await call(.createAgent) { _ = try await store.createAgent(NewAgent(name: "second", namespace: "default", role: "viewer")) }
        try await call(.agentByID) { _ = try await store.agent(id: agent.id) }
        try await call(.agentByName) { _ = try await store.agent(named: "owner") }
        try await call(.agents) { _ = try await store.agents(matching: AgentFilter(), page: PageRequest(limit: 10)) }
        try await call(.updateAgent) { _ = try await store.updateAgent(id: agent.id, AgentChange(tier: "PRO"), audit: nil) }
        var key: AgentAPIKey?
        try await call(.addAPIKey) { key = try await store.addAPIKey(agentID: agent.id, keyHash: hash, prefix: "tmws_ak_aaaa") }
        try await call(.resolveAPIKey) { _ = try await store.resolveAPIKey(hash: hash) }
        try await call(.apiKeys) { _ = try await store.apiKeys(agentID: agent.id) }
        try await call(.recordAPIKeyUse) { try await store.recordAPIKeyUse(id: key!.id) }
        try await call(.appendAuditEvent) { _ = try await store.appendAuditEvent(NewAuditEvent(eventType: "test", userID: agent.id)) }
        try await call(.checkAgent) {
            _ = try await store.checkAgent(id: agent.id) { _, _ in (true, NewAuditEvent(eventType: "permission_check", userID: agent.id)) }
        }
        try await call(.auditEvents) { _ = try await store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 10)) }
        try await call(.countAuditEvents) { _ = try await store.countAuditEvents(matching: AuditFilter()) }
        let licenseID = UUID()
        try await call(.insertLicense) {
            _ = try await store.insertLicense(
                NewLicense(
                    id: licenseID, ownerID: agent.id, namespace: "default", tier: "PRO", keyHash: String(repeating: "b", count: 64),
                    issuedAt: now, expiresAt: nil, metadata: [:]), audit: nil)
        }
        try await call(.license) { _ = try await store.license(id: licenseID) }
        try await call(.licenses) { _ = try await store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 10)) }
        try await call(.countLicenses) { _ = try await store.countLicenses(createdSince: now - 60, until: nil) }
        try await call(.recordValidation) {
            _ = try await store.recordValidation(
                licenseID: licenseID, agentID: agent.id, featureAccessed: nil, authorize: allow, decide: valid)
        }
        try await call(.recordAuthenticatedValidation) {
            _ = try await store.recordAuthenticatedValidation(
                apiKeyHash: hash, licenseID: licenseID, featureAccessed: nil, authorize: allow, decide: valid)
        }
        try await call(.usageHistory) { _ = try await store.usageHistory(licenseID: licenseID, page: PageRequest(limit: 10)) }
        try await call(.usageCounts) { _ = try await store.usageCounts(since: now - 60, until: nil) }
        try await call(.revokeLicense) { _ = try await store.revokeLicense(id: licenseID, reason: nil, revokedBy: agent.id, audit: nil) }
        try await call(.revokeAPIKey) { _ = try await store.revokeAPIKey(id: key!.id) }
        try await call(.ping) { try await store.ping() }
        return results
    }

    @Test(arguments: [StoreBackend.memory, .sqliteMemory])
    func everyRequirementIsForwardedAsTheOperationItNames(_ backend: StoreBackend) async throws {
        let handle = try await backend.makeStore(clock: { Date() })
        let seen = Seen()
        let store = InterceptingStore(handle.store) { operation, moment in
            if moment == .before { seen.calls.withLock { $0[$0.count - 1].append(operation) } }
        }
        let results = try await Self.callEveryRequirement(store, seen: seen)
        for (operation, reported) in results {
            #expect(reported == [operation], "\(operation) was reported as \(reported)")
        }
        #expect(Set(results.map(\.0)) == Set(InterceptingStore.Operation.allCases), "an operation is not exercised here")
    }

    /// A fault on one operation fails that operation, and the combined steps that perform it.
    @Test func aFaultFailsItsOperationAndTheStepsThatPerformIt() async throws {
        let handle = try await StoreBackend.memory.makeStore(clock: { Date() })
        let store = InterceptingStore(handle.store)
        let agent = try await handle.store.createAgent(NewAgent(name: "owner", namespace: "default", role: "admin"))
        _ = try await handle.store.addAPIKey(agentID: agent.id, keyHash: String(repeating: "a", count: 64), prefix: "tmws_ak_aaaa")
        let allow: @Sendable (Agent?, Date) -> AgentCheck<Bool> = { _, _ in AgentCheck(result: true, allowed: true, audit: nil) }
        for operation in [InterceptingStore.Operation.resolveAPIKey, .checkAgent, .recordValidation, .recordAuthenticatedValidation] {
            store.fail([operation], with: .corrupt)
            await #expect(throws: StorageError.self, "a fault on \(operation)") {
                _ = try await store.recordAuthenticatedValidation(
                    apiKeyHash: String(repeating: "a", count: 64), licenseID: nil, featureAccessed: nil, authorize: allow,
                    decide: { _, _ in ValidationDecision(valid: false, failureReason: "NOT_FOUND") })
            }
            store.heal()
        }
        store.fail([.license])
        _ = try await store.ping()
        await #expect(throws: StorageError.self) { _ = try await store.license(id: UUID()) }
    }
}
