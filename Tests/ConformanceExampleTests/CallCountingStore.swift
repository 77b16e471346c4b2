import Foundation
import Synchronization
import TMWSStorage

/// A store as a user of the library might write one: a decorator that counts calls per
/// requirement (for metrics) and forwards everything to a ``TMWSStorage/MemoryStore``. It lives
/// outside the library and its test support, so the conformance suite runs it exactly as it would
/// run a store of another package.
final class CallCountingStore: Store {
    private let base: MemoryStore
    private let counts = Mutex<[String: Int]>([:])

    init(clock: @escaping @Sendable () -> Date) {
        base = MemoryStore(clock: clock)
    }

    /// How often each requirement was called.
    var calls: [String: Int] { counts.withLock { $0 } }

    private func count(_ name: String = #function) {
        counts.withLock { $0[name, default: 0] += 1 }
    }

    func createAgent(_ agent: NewAgent) async throws -> Agent {
        count()
        return try await base.createAgent(agent)
    }

    func agent(id: UUID) async throws -> Agent? {
        count()
        return try await base.agent(id: id)
    }

    func agent(named name: String) async throws -> Agent? {
        count()
        return try await base.agent(named: name)
    }

    func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        count()
        return try await base.agents(matching: filter, page: page)
    }

    func updateAgent(id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?) async throws -> Agent {
        count()
        return try await base.updateAgent(id: id, change, audit: audit)
    }

    func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        count()
        return try await base.addAPIKey(agentID: agentID, keyHash: keyHash, prefix: prefix)
    }

    func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? {
        count()
        return try await base.resolveAPIKey(hash: hash)
    }

    func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] {
        count()
        return try await base.apiKeys(agentID: agentID)
    }

    func revokeAPIKey(id: UUID) async throws -> AgentAPIKey {
        count()
        return try await base.revokeAPIKey(id: id)
    }

    func recordAPIKeyUse(id: UUID) async throws {
        count()
        try await base.recordAPIKeyUse(id: id)
    }

    func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent {
        count()
        return try await base.appendAuditEvent(event)
    }

    func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        count()
        return try await base.checkAgent(id: id, decide: decide)
    }

    func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        count()
        return try await base.auditEvents(matching: filter, page: page)
    }

    func countAuditEvents(matching filter: AuditFilter) async throws -> Int {
        count()
        return try await base.countAuditEvents(matching: filter)
    }

    func insertLicense(_ license: NewLicense, audit: NewAuditEvent?) async throws -> License {
        count()
        return try await base.insertLicense(license, audit: audit)
    }

    func license(id: UUID) async throws -> License? {
        count()
        return try await base.license(id: id)
    }

    func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        count()
        return try await base.licenses(matching: filter, page: page)
    }

    func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        count()
        return try await base.countLicenses(createdSince: since, until: until)
    }

    func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        count()
        return try await base.revokeLicense(id: id, reason: reason, revokedBy: revokedBy, audit: audit)
    }

    func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        count()
        return try await base.recordValidation(
            licenseID: licenseID, agentID: agentID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
    }

    func recordAuthenticatedValidation<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>? {
        count()
        return try await base.recordAuthenticatedValidation(
            apiKeyHash: apiKeyHash, licenseID: licenseID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
    }

    func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        count()
        return try await base.usageHistory(licenseID: licenseID, page: page)
    }

    func usageCounts(since: Date, until: Date?) async throws -> UsageCounts {
        count()
        return try await base.usageCounts(since: since, until: until)
    }

    func ping() async throws {
        count()
        try await base.ping()
    }
}
