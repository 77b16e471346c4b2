import Foundation
import TMWSStorage

/// A ``Store`` that pauses around license reads and before usage writes, so that a validation
/// which decided on state read outside the usage-recording step (the Python original's defect)
/// gives a concurrent revocation a wide window to slip in — and the race tests catch it every
/// time instead of now and then. A correct implementation decides inside `recordValidation`, where
/// the pauses cannot reach.
final class SlowStore: Store {
    let base: any Store
    let pause: Duration
    /// Called after each pause, e.g. to move a test clock on, so that a stale decision recorded
    /// after a revocation carries a later time than the revocation.
    let tick: @Sendable () -> Void

    init(_ base: any Store, pause: Duration = .microseconds(300), tick: @escaping @Sendable () -> Void = {}) {
        self.base = base
        self.pause = pause
        self.tick = tick
    }

    private func nap() async {
        try? await Task.sleep(for: pause)
        tick()
    }

    func license(id: UUID) async throws -> License? {
        let license = try await base.license(id: id)
        await nap()
        return license
    }

    func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        await nap()
        return try await base.recordValidation(
            licenseID: licenseID, agentID: agentID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
    }

    func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        try await base.revokeLicense(id: id, reason: reason, revokedBy: revokedBy, audit: audit)
    }

    // MARK: Plain forwarding

    func createAgent(_ agent: NewAgent) async throws -> Agent { try await base.createAgent(agent) }
    func agent(id: UUID) async throws -> Agent? { try await base.agent(id: id) }
    func agent(named name: String) async throws -> Agent? { try await base.agent(named: name) }
    func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        try await base.agents(matching: filter, page: page)
    }
    func updateAgent(id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?) async throws -> Agent {
        try await base.updateAgent(id: id, change, audit: audit)
    }
    func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        try await base.addAPIKey(agentID: agentID, keyHash: keyHash, prefix: prefix)
    }
    func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? { try await base.resolveAPIKey(hash: hash) }
    func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] { try await base.apiKeys(agentID: agentID) }
    func revokeAPIKey(id: UUID) async throws -> AgentAPIKey { try await base.revokeAPIKey(id: id) }
    func recordAPIKeyUse(id: UUID) async throws { try await base.recordAPIKeyUse(id: id) }
    func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent { try await base.appendAuditEvent(event) }
    func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        try await base.checkAgent(id: id, decide: decide)
    }
    func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await base.auditEvents(matching: filter, page: page)
    }
    func countAuditEvents(matching filter: AuditFilter) async throws -> Int { try await base.countAuditEvents(matching: filter) }
    func insertLicense(_ license: NewLicense, audit: NewAuditEvent?) async throws -> License {
        try await base.insertLicense(license, audit: audit)
    }
    func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        try await base.licenses(matching: filter, page: page)
    }
    func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        try await base.countLicenses(createdSince: since, until: until)
    }
    func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        try await base.usageHistory(licenseID: licenseID, page: page)
    }
    func usageCounts(since: Date, until: Date?) async throws -> UsageCounts { try await base.usageCounts(since: since, until: until) }
    func ping() async throws { try await base.ping() }
}
