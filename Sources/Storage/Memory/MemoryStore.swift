import Foundation
import Synchronization

/// A ``Store`` that keeps everything in memory: for tests, demos, and embedding where
/// persistence is not wanted (`TMWS_DATABASE_URL=:memory:`).
///
/// It is a real backend, not a mock: the same semantics and the same errors as ``SQLiteStore``,
/// checked by the same conformance suite. Every operation runs in one critical section, so it is
/// atomic; timestamps come from the injected clock and are kept to the millisecond.
public final class MemoryStore: Store {
    let state: Mutex<MemoryState>
    let clock: @Sendable () -> Date

    /// Creates an empty store.
    /// - Parameter clock: where time comes from; defaults to the system clock.
    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.state = Mutex(MemoryState())
        self.clock = clock
    }

    /// Runs `body` in the store's critical section with the current time (millisecond precision),
    /// read inside the lock so that timestamps follow the order of the atomic steps.
    func withState<T>(_ body: (inout MemoryState, Date) throws(StorageError) -> T) throws(StorageError) -> T {
        let clock = self.clock
        return try state.withLock { state throws(StorageError) in try body(&state, Timestamp.truncated(clock())) }
    }

    public func ping() async throws {}

    // MARK: Agents

    public func createAgent(_ new: NewAgent) async throws -> Agent {
        try Validation.agent(new)
        return try withState { state, now throws(StorageError) in
            guard state.agents[new.id] == nil, state.agentIDsByName[new.name] == nil else {
                throw StorageError(.conflict, "an agent with this id or name already exists")
            }
            let agent = Agent(
                id: new.id, name: new.name, displayName: new.displayName, namespace: new.namespace,
                status: new.status, tier: new.tier, role: new.role, createdAt: now, updatedAt: now)
            state.agents[agent.id] = agent
            state.agentIDsByName[agent.name] = agent.id
            return agent
        }
    }

    public func agent(id: UUID) async throws -> Agent? {
        try withState { state, _ in state.agents[id] }
    }

    public func agent(named name: String) async throws -> Agent? {
        try withState { state, _ in state.agentIDsByName[name].flatMap { state.agents[$0] } }
    }

    public func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        try await page.keysetPage { cursor, _ in
            try withState { state, _ in
                var matching = state.agents.values.filter {
                    filter.matches($0) && (cursor == nil || cursor!.key.utf8.lexicographicallyPrecedes($0.name.utf8))
                }
                matching.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
                return matching
            }
        }
    }

    public func updateAgent(
        id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?
    ) async throws -> Agent {
        try withState { state, now throws(StorageError) in
            guard let old = state.agents[id] else { throw StorageError(.notFound, "no agent with this id") }
            let new = change.applied(to: old, at: now)
            state.agents[id] = new
            if let event = audit?(old, new) { state.append(event, at: now) }
            return new
        }
    }

    // MARK: API keys

    public func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        try withState { state, now throws(StorageError) in
            guard state.agents[agentID] != nil else { throw StorageError(.notFound, "no agent with this id") }
            guard state.keyIDsByHash[keyHash] == nil else { throw StorageError(.conflict, "this API key is already stored") }
            let key = AgentAPIKey(id: UUID(), agentID: agentID, keyHash: keyHash, prefix: prefix, createdAt: now)
            state.keys[key.id] = key
            state.keyIDsByHash[keyHash] = key.id
            return key
        }
    }

    public func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? {
        try withState { state, _ in
            guard let id = state.keyIDsByHash[hash], let key = state.keys[id], key.revokedAt == nil,
                let agent = state.agents[key.agentID]
            else { return nil }
            return ResolvedAPIKey(key: key, agent: agent)
        }
    }

    public func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] {
        try withState { state, _ in
            state.keys.values.filter { $0.agentID == agentID }.sorted {
                ($0.createdAt, $0.id.canonicalText) < ($1.createdAt, $1.id.canonicalText)
            }
        }
    }

    public func revokeAPIKey(id: UUID) async throws -> AgentAPIKey {
        try withState { state, now throws(StorageError) in
            guard var key = state.keys[id] else { throw StorageError(.notFound, "no API key with this id") }
            if key.revokedAt == nil {
                key.revokedAt = now
                state.keys[id] = key
            }
            return key
        }
    }

    public func recordAPIKeyUse(id: UUID) async throws {
        try withState { state, now throws(StorageError) in
            guard state.keys[id] != nil else { throw StorageError(.notFound, "no API key with this id") }
            state.keys[id]!.lastUsedAt = now
        }
    }

    // MARK: Audit

    public func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent {
        try withState { state, now in state.append(event, at: now) }
    }

    public func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        try withState { state, now in
            let (result, event) = decide(state.agents[id], now)
            state.append(event, at: now)
            return result
        }
    }

    public func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await page.keysetPage { cursor, limit in
            try withState { state, _ in
                let end = cursor.map { c in state.audit.partitionIndex { ($0.createdAt.ms, $0.id) >= (c.millis, c.rowID!) } }
                var items: [AuditEvent] = []
                var index = (end ?? state.audit.count) - 1
                while index >= 0, items.count < limit {
                    let event = state.audit[index]
                    if filter.matches(event) { items.append(event) }
                    index -= 1
                }
                return items
            }
        }
    }

    public func countAuditEvents(matching filter: AuditFilter) async throws -> Int {
        try withState { state, _ in
            let start = filter.since.map { s in state.audit.partitionIndex { $0.createdAt >= s } } ?? 0
            return state.audit[start...].lazy.filter { filter.matches($0) }.count
        }
    }

    // MARK: Licenses

    public func insertLicense(_ new: NewLicense, audit: NewAuditEvent?) async throws -> License {
        try withState { state, now throws(StorageError) in
            guard state.licenses[new.id] == nil, state.licenseIDsByHash[new.keyHash] == nil else {
                throw StorageError(.conflict, "a license with this id or key hash already exists")
            }
            guard state.agents[new.ownerID] != nil else { throw StorageError(.notFound, "the license owner does not exist") }
            let license = License(
                id: new.id, ownerID: new.ownerID, namespace: new.namespace, tier: new.tier, keyHash: new.keyHash,
                issuedAt: Timestamp.truncated(new.issuedAt), expiresAt: new.expiresAt.map(Timestamp.truncated),
                createdAt: now, metadata: new.metadata)
            state.licenses[license.id] = license
            state.licenseIDsByHash[license.keyHash] = license.id
            let key = MemoryState.LicenseKey(millis: now.ms, id: license.id.canonicalText)
            state.licenseOrder.insert(key, at: state.licenseOrder.partitionIndex { $0 > key })
            if let audit { state.append(audit, at: now) }
            return license
        }
    }

    public func license(id: UUID) async throws -> License? {
        try withState { state, _ in state.licenses[id] }
    }

    public func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        try await page.keysetPage { cursor, limit in
            try withState { state, now in
                let end = cursor.map { c in
                    state.licenseOrder.partitionIndex { $0 >= MemoryState.LicenseKey(millis: c.millis, id: c.key.lowercased()) }
                }
                var items: [License] = []
                var index = (end ?? state.licenseOrder.count) - 1
                while index >= 0, items.count < limit {
                    let license = state.licenses[UUID(canonicalText: state.licenseOrder[index].id)!]!
                    if filter.matches(license, at: now) { items.append(license) }
                    index -= 1
                }
                return items
            }
        }
    }

    public func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        try withState { state, _ in
            let sinceMS = Timestamp.milliseconds(since), untilMS = until.map(Timestamp.milliseconds) ?? .max
            return state.licenseOrder.lazy.filter { $0.millis >= sinceMS && $0.millis < untilMS }.count
        }
    }

    public func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        try withState { state, now throws(StorageError) in
            guard let license = state.licenses[id] else { throw StorageError(.notFound, "no license with this id") }
            let revocation = Revocation(revoking: license, at: now, reason: reason, by: revokedBy)
            if !revocation.alreadyRevoked { state.licenses[id] = revocation.license }
            if let event = audit?(revocation) { state.append(event, at: now) }
            return revocation
        }
    }

    public func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        try withState { state, now in
            let check = authorize(state.agents[agentID], now)
            if let audit = check.audit { state.append(audit, at: now) }
            guard check.allowed else { return (check.result, nil) }
            let plan = ValidationPlan(license: licenseID.flatMap { state.licenses[$0] }, at: now, decide: decide)
            if plan.bumpsCounter, let license = plan.license { state.licenses[license.id] = license }
            state.nextUsageID += 1
            let recorded = plan.recorded(usageID: state.nextUsageID, agentID: agentID, at: now, featureAccessed: featureAccessed)
            state.insertUsage(recorded.usage)
            return (check.result, recorded)
        }
    }

    /// Resolves the key, then records (two steps: the resolution is a lookup in memory).
    public func recordAuthenticatedValidation<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>? {
        try await recordAuthenticatedValidationInTwoSteps(
            apiKeyHash: apiKeyHash, licenseID: licenseID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
    }

    public func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        try await page.keysetPage { cursor, limit in
            try withState { state, _ in
                let rows = state.usageByLicense[licenseID] ?? []
                let end = cursor.map { c in rows.partitionIndex { ($0.validatedAt.ms, $0.id) >= (c.millis, c.rowID!) } } ?? rows.count
                return Array(rows[max(0, end - limit)..<end].reversed())
            }
        }
    }

    public func usageCounts(since: Date, until: Date?) async throws -> UsageCounts {
        try withState { state, _ in
            let sinceMS = Timestamp.milliseconds(since), untilMS = until.map(Timestamp.milliseconds) ?? .max
            let start = state.usageTimeline.partitionIndex { $0.millis >= sinceMS }
            var counts = UsageCounts(total: 0, failed: 0)
            for entry in state.usageTimeline[start...] where entry.millis < untilMS {
                counts.total += 1
                if !entry.valid { counts.failed += 1 }
            }
            return counts
        }
    }
}
