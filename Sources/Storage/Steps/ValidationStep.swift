import Foundation

// The types of a validation's atomic step (``LicenseStore/recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)``
// and ``LicenseStore/recordAuthenticatedValidation(apiKeyHash:licenseID:featureAccessed:authorize:decide:)``),
// and the plan every backend follows inside it.

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

/// The result of ``LicenseStore/recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)``.
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

/// The result of ``LicenseStore/recordAuthenticatedValidation(apiKeyHash:licenseID:featureAccessed:authorize:decide:)``
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

/// What one validation step writes, planned from what the backend read — the same for every
/// backend, in the style of ``Revocation/init(revoking:at:reason:by:)``: the backend reads the
/// license inside its step, asks the plan, and writes what it says (the counter bump when
/// ``bumpsCounter``, then the usage row), so the rules live here once.
package struct ValidationPlan: Sendable {
    /// The verdict as recorded: `decide`'s, except that a valid decision about no license is
    /// `NOT_FOUND` (an attempt whose key named no stored license is never valid).
    package let decision: ValidationDecision
    /// The license as it stands after the step: when valid, with `validation_count` one higher
    /// and `last_validated_at` at the step's time.
    package let license: License?

    package init(license read: License?, at now: Date, decide: (License?, Date) -> ValidationDecision) {
        var decision = decide(read, now)
        if read == nil, decision.valid { decision = .invalid("NOT_FOUND") }
        self.decision = decision
        guard decision.valid, var bumped = read else {
            license = read
            return
        }
        bumped.validationCount += 1
        bumped.lastValidatedAt = now
        license = bumped
    }

    /// Whether the backend must write the counter bump (`validation_count + 1`, `last_validated_at`).
    package var bumpsCounter: Bool { decision.valid }

    /// The step's outcome, once the backend has written the usage row as `usageID` (with
    /// `featureAccessed` as it stored it).
    package func recorded(usageID: Int64, agentID: UUID, at now: Date, featureAccessed: String?) -> RecordedValidation {
        RecordedValidation(
            license: license, decision: decision,
            usage: UsageRecord(
                id: usageID, licenseID: license?.id, agentID: agentID, validatedAt: now, valid: decision.valid,
                featureAccessed: featureAccessed, failureReason: decision.failureReason))
    }
}
