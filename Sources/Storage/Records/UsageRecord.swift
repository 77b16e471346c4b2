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

/// Counts of validation attempts over a time window.
public struct UsageCounts: Sendable, Hashable, Codable {
    public var total: Int
    public var failed: Int
    public init(total: Int, failed: Int) {
        self.total = total
        self.failed = failed
    }
}
