import Foundation

/// The persistence boundary of TMWS: a small set of domain-level operations.
///
/// Every operation is atomic in every backend — one transaction in SQLite, one critical section in
/// memory. Where an operation must read, decide and write as one step (a permission check and its
/// audit row, a validation and its usage row, a revocation), it takes the pure decision as a
/// synchronous closure and applies it inside that step, so that no other write can come between
/// what the decision saw and what is written. A decision must be a pure function of what it is
/// given: a backend may apply it more than once and keep only the last run (``SQLiteStore`` runs a
/// shared transaction again when one of its steps failed; PostgreSQL retries a serialization failure).
///
/// Timestamps are taken from the store's clock inside the atomic step and kept with millisecond
/// precision. All operations throw ``StorageError``; a backend never lets another error type escape.
///
/// Backends: ``SQLiteStore`` (files, WAL; or an in-memory SQLite database), ``MemoryStore``, and
/// `PostgresStore` in the `TMWSStoragePostgres` product. No requirement has a default
/// implementation, so a wrapper that forwards to another store must forward every one.
public protocol Store: AgentStore, APIKeyStore, AuditStore, LicenseStore, StoreHealth {}

/// The agents role of a ``Store``: who may act.
public protocol AgentStore: Sendable {
    /// Creates an agent.
    /// - Throws: `conflict` when the id or the name is taken; `invalidArgument` for an empty name or namespace.
    func createAgent(_ agent: NewAgent) async throws -> Agent

    /// The agent with this UUID, or `nil`.
    func agent(id: UUID) async throws -> Agent?

    /// The agent with this unique name (`agents.agent_id`), or `nil`.
    func agent(named name: String) async throws -> Agent?

    /// Agents matching a filter, ordered by name, with keyset pagination.
    /// - Throws: `invalidArgument` for a bad limit or cursor.
    func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent>

    /// Changes an agent's role, tier, status or display name and, in the same atomic step, appends
    /// the audit event `audit` returns for the (old, new) pair, if any.
    /// - Returns: the agent after the change.
    /// - Throws: `notFound` when there is no such agent.
    func updateAgent(
        id: UUID, _ change: AgentChange, audit: (@Sendable (_ old: Agent, _ new: Agent) -> NewAuditEvent?)?
    ) async throws -> Agent

}

/// The API-key role of a ``Store``: the credentials agents present (the role `APIKeyAuthenticator` takes).
public protocol APIKeyStore: Sendable {
    /// Stores a new API key for an agent (its hash and display prefix only).
    /// - Throws: `notFound` when the agent does not exist; `conflict` when the hash is taken.
    func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey

    /// Resolves the hash of a presented key to the key and its agent, if the key exists and is not
    /// revoked. The agent is returned whatever its status: deciding what a suspension means is the caller's job.
    func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey?

    /// An agent's keys, revoked ones included, oldest first.
    func apiKeys(agentID: UUID) async throws -> [AgentAPIKey]

    /// Revokes a key. Idempotent: a revoked key keeps its first revocation time.
    /// - Throws: `notFound` when there is no such key.
    func revokeAPIKey(id: UUID) async throws -> AgentAPIKey

    /// Sets a key's `last_used_at` to now.
    /// - Throws: `notFound` when there is no such key.
    func recordAPIKeyUse(id: UUID) async throws

}

/// The audit role of a ``Store``: permission checks with their audit rows, and the audit log
/// (the role `Authorizer` takes).
public protocol AuditStore: Sendable {
    /// Appends an event to `security_audit_logs`.
    func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent

    /// Reads an agent, applies `decide` to what was read (the agent or `nil`, and the current
    /// time), appends the audit event the decision returns, and returns the decision's result —
    /// all in one atomic step. This is the storage half of a permission check: the decision is
    /// made on exactly the state the audit row records.
    func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (_ agent: Agent?, _ now: Date) -> (Result, NewAuditEvent)
    ) async throws -> Result

    /// Audit events matching a filter, newest first (by time, then id), with keyset pagination.
    /// - Throws: `invalidArgument` for a bad limit or cursor.
    func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent>

    /// The number of audit events matching a filter (use `since`/`until` for a time window).
    func countAuditEvents(matching filter: AuditFilter) async throws -> Int

}

/// The licenses role of a ``Store``: licenses, their revocation, and validations with their usage rows.
public protocol LicenseStore: Sendable {
    /// Inserts a license (active, never validated) and, in the same atomic step, the audit event, if any.
    /// - Throws: `conflict` when the id or the key hash is taken; `notFound` when the owner does not exist.
    func insertLicense(_ license: NewLicense, audit: NewAuditEvent?) async throws -> License

    /// The license with this id, or `nil`.
    func license(id: UUID) async throws -> License?

    /// Licenses matching a filter, newest first (by `created_at`, then id), with keyset pagination.
    /// The status filter is evaluated at the store's current time.
    func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License>

    /// The number of licenses created in a time window (`since` inclusive, `until` exclusive).
    func countLicenses(createdSince since: Date, until: Date?) async throws -> Int

    /// Revokes a license atomically and idempotently: sets `is_active = 0`, `revoked_at`,
    /// `revoked_reason` and `revoked_by` unless it is already revoked, in which case the first
    /// revocation stands. The audit event `audit` returns for the outcome is appended in the same step.
    /// - Throws: `notFound` when there is no such license.
    func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation

    /// Records one validation attempt atomically: runs the caller's permission check on the
    /// validating agent (`authorize`, as ``AuditStore/checkAgent(id:decide:)`` does: read the agent, decide,
    /// append the audit event it returns), and when it allows, reads the license (when `licenseID`
    /// is given and exists), applies `decide` to that state and the current time, writes one usage
    /// row, and when the decision is valid increments `validation_count` and sets
    /// `last_validated_at` — one transaction, so a concurrent revocation, role change or suspension
    /// is either seen by the decisions or comes after them.
    ///
    /// An attempt whose key resolved to no license (malformed, unknown id) is recorded with
    /// `license_id` NULL. A valid decision about no license is recorded as invalid (`NOT_FOUND`).
    /// - Returns: what `authorize` concluded, and the recorded attempt — `nil` when `authorize`
    ///   refused (its audit event is still written; no usage row is).
    func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (_ agent: Agent?, _ now: Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (_ license: License?, _ now: Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?)

    /// Authenticates an API key and records one validation attempt by its agent, as one step where
    /// the backend can: resolves `apiKeyHash` as ``APIKeyStore/resolveAPIKey(hash:)`` does and, when the key
    /// exists, is not revoked and its agent is active, does for that agent what
    /// ``recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)`` does.
    ///
    /// A backend whose reads cost a round trip of their own (SQLite through GRDB's queues) does it
    /// in the validation's transaction; others may call
    /// ``Store/recordAuthenticatedValidationInTwoSteps(apiKeyHash:licenseID:featureAccessed:authorize:decide:)``.
    /// Like every requirement, it has no default implementation.
    /// - Returns: `nil` when the key does not authenticate — and then nothing is written; else the
    ///   key as resolved and the validation's outcome.
    func recordAuthenticatedValidation<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (_ agent: Agent?, _ now: Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (_ license: License?, _ now: Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>?

    /// A license's usage rows, newest first (by `validated_at`, then id), with keyset pagination:
    /// a deep page costs what the first one does.
    func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord>

    /// Counts of validation attempts in a time window (`since` inclusive, `until` exclusive).
    func usageCounts(since: Date, until: Date?) async throws -> UsageCounts

}

/// The health role of a ``Store``.
public protocol StoreHealth: Sendable {
    /// Whether the store can serve requests now (used by health checks).
    func ping() async throws
}

extension AgentStore {
    /// Changes an agent without writing an audit event.
    public func updateAgent(id: UUID, _ change: AgentChange) async throws -> Agent {
        try await updateAgent(id: id, change, audit: nil)
    }

    /// Every agent matching a filter, following the pages.
    public func allAgents(matching filter: AgentFilter = AgentFilter()) async throws -> [Agent] {
        try await Page.following { try await agents(matching: filter, page: $0) }
    }
}

extension LicenseStore {
    /// Inserts a license without writing an audit event.
    public func insertLicense(_ license: NewLicense) async throws -> License {
        try await insertLicense(license, audit: nil)
    }

    /// Records one validation attempt atomically, without a permission check (see
    /// ``recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)``).
    public func recordValidation(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        decide: @escaping @Sendable (_ license: License?, _ now: Date) -> ValidationDecision
    ) async throws -> RecordedValidation {
        let result = try await recordValidation(
            licenseID: licenseID, agentID: agentID, featureAccessed: featureAccessed,
            authorize: { _, _ in AgentCheck(result: (), allowed: true, audit: nil) }, decide: decide)
        return result.recorded!
    }

    /// Revokes a license without writing an audit event.
    public func revokeLicense(id: UUID, reason: String?, revokedBy: UUID?) async throws -> Revocation {
        try await revokeLicense(id: id, reason: reason, revokedBy: revokedBy, audit: nil)
    }

    /// Every usage row of a license, newest first, following the pages.
    public func allUsageHistory(licenseID: UUID) async throws -> [UsageRecord] {
        try await Page.following { try await usageHistory(licenseID: licenseID, page: $0) }
    }
}

extension Store {
    /// ``LicenseStore/recordAuthenticatedValidation(apiKeyHash:licenseID:featureAccessed:authorize:decide:)`` as
    /// two steps: ``APIKeyStore/resolveAPIKey(hash:)``, then
    /// ``LicenseStore/recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)`` for the key's agent.
    /// For a backend whose separate read costs little (``MemoryStore``, PostgreSQL's pool): the
    /// requirement has no default, so that every backend and wrapper decides for itself.
    public func recordAuthenticatedValidationInTwoSteps<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (_ agent: Agent?, _ now: Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (_ license: License?, _ now: Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>? {
        guard let key = try await resolveAPIKey(hash: apiKeyHash), key.agent.status == .active else { return nil }
        let (check, recorded) = try await recordValidation(
            licenseID: licenseID, agentID: key.agent.id, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
        return AuthenticatedValidation(key: key, check: check, recorded: recorded)
    }
}
