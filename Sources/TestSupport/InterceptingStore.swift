import Foundation
import Synchronization
import TMWSStorage

/// A ``Store`` wrapper that fails chosen operations, for fault-injection tests: every service
/// operation must fail closed when storage does.
public final class FaultInjectingStore: Store {
    /// The operations of ``Store`` that can be made to fail.
    public enum Operation: String, CaseIterable, Sendable {
        case createAgent, agentByID, agentByName, agents, updateAgent
        case addAPIKey, resolveAPIKey, apiKeys, revokeAPIKey, recordAPIKeyUse
        case appendAuditEvent, checkAgent, auditEvents, countAuditEvents
        case insertLicense, license, licenses, countLicenses, revokeLicense, recordValidation, usageHistory, usageCounts
        case ping
    }

    /// How an operation fails.
    public enum Fault: Sendable {
        case unavailable, diskFull, busy, corrupt

        var error: StorageError {
            switch self {
            case .unavailable: StorageError(.unavailable, "injected fault: storage unavailable")
            case .diskFull: StorageError(.unavailable, "injected fault: the disk is full")
            case .busy: StorageError(.unavailable, "injected fault: the database is busy")
            case .corrupt: StorageError(.corrupt, "injected fault: the database is damaged")
            }
        }
    }

    /// The wrapped store.
    public let base: any Store
    private let faults = Mutex<[Operation: Fault]>([:])

    public init(_ base: any Store) { self.base = base }

    /// Makes `operations` fail with `fault` until ``heal()``.
    public func fail(_ operations: some Sequence<Operation>, with fault: Fault = .unavailable) {
        faults.withLock { for operation in operations { $0[operation] = fault } }
    }

    /// Makes every operation fail with `fault`.
    public func failAll(with fault: Fault = .unavailable) { fail(Operation.allCases, with: fault) }

    /// Stops injecting faults.
    public func heal() { faults.withLock { $0.removeAll() } }

    private func check(_ operation: Operation) throws {
        if let fault = faults.withLock({ $0[operation] }) { throw fault.error }
    }

    public func createAgent(_ agent: NewAgent) async throws -> Agent {
        try check(.createAgent)
        return try await base.createAgent(agent)
    }

    public func agent(id: UUID) async throws -> Agent? {
        try check(.agentByID)
        return try await base.agent(id: id)
    }

    public func agent(named name: String) async throws -> Agent? {
        try check(.agentByName)
        return try await base.agent(named: name)
    }

    public func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        try check(.agents)
        return try await base.agents(matching: filter, page: page)
    }

    public func updateAgent(
        id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?
    ) async throws -> Agent {
        try check(.updateAgent)
        return try await base.updateAgent(id: id, change, audit: audit)
    }

    public func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        try check(.addAPIKey)
        return try await base.addAPIKey(agentID: agentID, keyHash: keyHash, prefix: prefix)
    }

    public func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? {
        try check(.resolveAPIKey)
        return try await base.resolveAPIKey(hash: hash)
    }

    public func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] {
        try check(.apiKeys)
        return try await base.apiKeys(agentID: agentID)
    }

    public func revokeAPIKey(id: UUID) async throws -> AgentAPIKey {
        try check(.revokeAPIKey)
        return try await base.revokeAPIKey(id: id)
    }

    public func recordAPIKeyUse(id: UUID) async throws {
        try check(.recordAPIKeyUse)
        try await base.recordAPIKeyUse(id: id)
    }

    public func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent {
        try check(.appendAuditEvent)
        return try await base.appendAuditEvent(event)
    }

    public func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        try check(.checkAgent)
        return try await base.checkAgent(id: id, decide: decide)
    }

    public func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try check(.auditEvents)
        return try await base.auditEvents(matching: filter, page: page)
    }

    public func countAuditEvents(matching filter: AuditFilter) async throws -> Int {
        try check(.countAuditEvents)
        return try await base.countAuditEvents(matching: filter)
    }

    public func insertLicense(_ license: NewLicense, audit: NewAuditEvent?) async throws -> License {
        try check(.insertLicense)
        return try await base.insertLicense(license, audit: audit)
    }

    public func license(id: UUID) async throws -> License? {
        try check(.license)
        return try await base.license(id: id)
    }

    public func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        try check(.licenses)
        return try await base.licenses(matching: filter, page: page)
    }

    public func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        try check(.countLicenses)
        return try await base.countLicenses(createdSince: since, until: until)
    }

    public func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        try check(.revokeLicense)
        return try await base.revokeLicense(id: id, reason: reason, revokedBy: revokedBy, audit: audit)
    }

    public func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        // The permission-checking form performs a permission check too: a `.checkAgent` fault applies.
        if Check.self != Void.self { try check(.checkAgent) }
        try check(.recordValidation)
        return try await base.recordValidation(
            licenseID: licenseID, agentID: agentID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
    }

    public func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        try check(.usageHistory)
        return try await base.usageHistory(licenseID: licenseID, page: page)
    }

    public func usageCounts(since: Date, until: Date?) async throws -> UsageCounts {
        try check(.usageCounts)
        return try await base.usageCounts(since: since, until: until)
    }

    public func ping() async throws {
        try check(.ping)
        try await base.ping()
    }
}
