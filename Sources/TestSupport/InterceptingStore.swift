import Foundation
import Synchronization
import TMWSStorage

/// The one `Store` wrapper of the tests: it forwards every requirement of `Store` to the store it
/// wraps, and on the way can fail chosen operations (fault injection: every service operation must
/// fail closed when storage does) and run a hook before and after each (e.g. a pause that widens a
/// race window).
///
/// `Store` gives none of its requirements a default implementation, so a requirement added to it
/// and not forwarded here does not compile; `InterceptingStoreTests` checks that every ``Operation``
/// is reported by the method it names. Wrapped stores therefore run the same code paths as the
/// stores they wrap — the one-transaction authenticated validation of SQLite included.
public final class InterceptingStore: Store {
    /// The operations of `Store`, one per requirement.
    public enum Operation: String, CaseIterable, Sendable {
        case createAgent, agentByID, agentByName, agents, updateAgent
        case addAPIKey, resolveAPIKey, apiKeys, revokeAPIKey, recordAPIKeyUse
        case appendAuditEvent, checkAgent, auditEvents, countAuditEvents
        case insertLicense, license, licenses, countLicenses, revokeLicense, recordValidation, recordAuthenticatedValidation
        case usageHistory, usageCounts
        case ping
    }

    /// When a hook runs.
    public enum Moment: Sendable {
        case before, after
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

    /// Runs before and after every operation that gets past its faults.
    public typealias Hook = @Sendable (_ operation: Operation, _ moment: Moment) async -> Void

    /// The wrapped store.
    public let base: any Store
    private let hook: Hook?
    private let faults = Mutex<[Operation: Fault]>([:])

    public init(_ base: any Store, hook: Hook? = nil) {
        self.base = base
        self.hook = hook
    }

    /// Makes `operations` fail with `fault` until ``heal()``.
    public func fail(_ operations: some Sequence<Operation>, with fault: Fault = .unavailable) {
        faults.withLock { for operation in operations { $0[operation] = fault } }
    }

    /// Makes every operation fail with `fault`.
    public func failAll(with fault: Fault = .unavailable) { fail(Operation.allCases, with: fault) }

    /// Stops injecting faults.
    public func heal() { faults.withLock { $0.removeAll() } }

    /// Runs `body` as `operation`: throws its fault (or the fault of any operation in `alsoPerforms`,
    /// which the same step performs too), else runs the hook around it.
    private func run<T>(
        _ operation: Operation, alsoPerforms: [Operation] = [], _ body: () async throws -> T
    ) async throws -> T {
        let fault = faults.withLock { faults -> Fault? in
            for candidate in [operation] + alsoPerforms {
                if let fault = faults[candidate] { return fault }
            }
            return nil
        }
        if let fault { throw fault.error }
        await hook?(operation, .before)
        let result = try await body()
        await hook?(operation, .after)
        return result
    }

    public func createAgent(_ agent: NewAgent) async throws -> Agent {
        try await run(.createAgent) {
            try await base.createAgent(agent)
        }
    }

    public func agent(id: UUID) async throws -> Agent? {
        try await run(.agentByID) {
            try await base.agent(id: id)
        }
    }

    public func agent(named name: String) async throws -> Agent? {
        try await run(.agentByName) {
            try await base.agent(named: name)
        }
    }

    public func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        try await run(.agents) {
            try await base.agents(matching: filter, page: page)
        }
    }

    public func updateAgent(
        id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?
    ) async throws -> Agent {
        try await run(.updateAgent) {
            try await base.updateAgent(id: id, change, audit: audit)
        }
    }

    public func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        try await run(.addAPIKey) {
            try await base.addAPIKey(agentID: agentID, keyHash: keyHash, prefix: prefix)
        }
    }

    public func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? {
        try await run(.resolveAPIKey) {
            try await base.resolveAPIKey(hash: hash)
        }
    }

    public func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] {
        try await run(.apiKeys) {
            try await base.apiKeys(agentID: agentID)
        }
    }

    public func revokeAPIKey(id: UUID) async throws -> AgentAPIKey {
        try await run(.revokeAPIKey) {
            try await base.revokeAPIKey(id: id)
        }
    }

    public func recordAPIKeyUse(id: UUID) async throws {
        try await run(.recordAPIKeyUse) { try await base.recordAPIKeyUse(id: id) }
    }

    public func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent {
        try await run(.appendAuditEvent) {
            try await base.appendAuditEvent(event)
        }
    }

    public func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        try await run(.checkAgent) {
            try await base.checkAgent(id: id, decide: decide)
        }
    }

    public func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await run(.auditEvents) {
            try await base.auditEvents(matching: filter, page: page)
        }
    }

    public func countAuditEvents(matching filter: AuditFilter) async throws -> Int {
        try await run(.countAuditEvents) {
            try await base.countAuditEvents(matching: filter)
        }
    }

    public func insertLicense(_ license: NewLicense, audit: NewAuditEvent?) async throws -> License {
        try await run(.insertLicense) {
            try await base.insertLicense(license, audit: audit)
        }
    }

    public func license(id: UUID) async throws -> License? {
        try await run(.license) {
            try await base.license(id: id)
        }
    }

    public func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        try await run(.licenses) {
            try await base.licenses(matching: filter, page: page)
        }
    }

    public func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        try await run(.countLicenses) {
            try await base.countLicenses(createdSince: since, until: until)
        }
    }

    public func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        try await run(.revokeLicense) {
            try await base.revokeLicense(id: id, reason: reason, revokedBy: revokedBy, audit: audit)
        }
    }

    public func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        // The permission-checking form performs a permission check too: a `.checkAgent` fault applies.
        try await run(.recordValidation, alsoPerforms: Check.self != Void.self ? [.checkAgent] : []) {
            try await base.recordValidation(
                licenseID: licenseID, agentID: agentID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
        }
    }

    public func recordAuthenticatedValidation<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>? {
        // One step that resolves a key, checks a permission and records a validation: a fault on
        // any of those applies to it.
        try await run(.recordAuthenticatedValidation, alsoPerforms: [.resolveAPIKey, .checkAgent, .recordValidation]) {
            try await base.recordAuthenticatedValidation(
                apiKeyHash: apiKeyHash, licenseID: licenseID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
        }
    }

    public func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        try await run(.usageHistory) {
            try await base.usageHistory(licenseID: licenseID, page: page)
        }
    }

    public func usageCounts(since: Date, until: Date?) async throws -> UsageCounts {
        try await run(.usageCounts) {
            try await base.usageCounts(since: since, until: until)
        }
    }

    public func ping() async throws {
        try await run(.ping) { try await base.ping() }
    }
}
