import Foundation

/// A row of `license_usage_history`: one validation attempt.
public struct UsageRecord: Sendable, Hashable, Codable {
    /// The row id; grows with every attempt.
    public var id: Int64
    /// The license the key resolved to; `nil` when it resolved to none.
    public var licenseID: UUID?
    /// The agent that asked for the validation.
    public var agentID: UUID
    /// When the attempt was decided.
    public var validatedAt: Date
    /// Whether the verdict was valid.
    public var valid: Bool
    /// The feature the caller was about to use, if it said.
    public var featureAccessed: String?
    /// The verdict code when not valid (e.g. `EXPIRED`).
    public var failureReason: String?

    public init(
        id: Int64, licenseID: UUID?, agentID: UUID, validatedAt: Date, valid: Bool,
        featureAccessed: String?, failureReason: String?
    ) {
        self.id = id
        self.licenseID = licenseID
        self.agentID = agentID
        self.validatedAt = validatedAt
        self.valid = valid
        self.featureAccessed = featureAccessed
        self.failureReason = failureReason
    }
}

/// What a validation decision concluded, as recorded in the usage row.
public struct ValidationDecision: Sendable, Hashable {
    /// Whether the attempt is valid. A valid decision bumps `validation_count` and `last_validated_at`.
    public var valid: Bool
    /// The failure code when not valid (stored as `failure_reason`).
    public var failureReason: String?

    public init(valid: Bool, failureReason: String? = nil) {
        self.valid = valid
        self.failureReason = failureReason
    }

    /// A valid decision.
    public static let valid = ValidationDecision(valid: true)
    /// An invalid decision with a reason.
    public static func invalid(_ reason: String) -> ValidationDecision { .init(valid: false, failureReason: reason) }
}

/// The result of ``Store/recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)``.
public struct RecordedValidation: Sendable, Hashable {
    /// The license as read inside the transaction (after the counter update when valid), or `nil`.
    public var license: License?
    /// The decision that was applied.
    public var decision: ValidationDecision
    /// The usage row that was written.
    public var usage: UsageRecord

    public init(license: License?, decision: ValidationDecision, usage: UsageRecord) {
        self.license = license
        self.decision = decision
        self.usage = usage
    }
}

/// The result of ``Store/recordAuthenticatedValidation(apiKeyHash:licenseID:featureAccessed:authorize:decide:)``
/// for a key that authenticated.
public struct AuthenticatedValidation<Check: Sendable>: Sendable {
    /// The API key and its agent, as read in the same step.
    public var key: ResolvedAPIKey
    /// What the permission check concluded.
    public var check: Check
    /// The recorded attempt; `nil` when the check refused (its audit event is still written).
    public var recorded: RecordedValidation?

    public init(key: ResolvedAPIKey, check: Check, recorded: RecordedValidation?) {
        self.key = key
        self.check = check
        self.recorded = recorded
    }
}

/// Counts of validation attempts over a time window.
public struct UsageCounts: Sendable, Hashable, Codable {
    public var total: Int
    public var failed: Int
    public init(total: Int, failed: Int) {
        self.total = total
        self.failed = failed
    }
}

/// What a permission check decided inside a storage step: the caller's result, whether the step
/// may go on, and the audit event to append (if any).
public struct AgentCheck<Result: Sendable>: Sendable {
    public var result: Result
    public var allowed: Bool
    public var audit: NewAuditEvent?

    public init(result: Result, allowed: Bool, audit: NewAuditEvent?) {
        self.result = result
        self.allowed = allowed
        self.audit = audit
    }
}
