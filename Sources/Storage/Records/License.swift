import Foundation

/// A row of `license_keys`. The key itself is never stored, only its SHA-256 hash.
public struct License: Sendable, Hashable, Codable {
    /// The license id; the UUID inside the key.
    public var id: UUID
    /// The owning agent (`license_keys.agent_id`): the agent that generated it.
    public var ownerID: UUID
    /// The owner's namespace at the time of issue.
    public var namespace: String
    /// The tier, as stored (`FREE`, `PRO`, `ENTERPRISE`).
    public var tier: String
    /// The lowercase hex SHA-256 of the whole key string.
    public var keyHash: String
    /// When the license was issued.
    public var issuedAt: Date
    /// When the license expires; `nil` for a perpetual license.
    public var expiresAt: Date?
    /// `false` when the license was deactivated (by revocation or by an operator).
    public var isActive: Bool
    /// When the license was revoked, if it was.
    public var revokedAt: Date?
    /// Why the license was revoked, if it was.
    public var revokedReason: String?
    /// The agent that revoked it, if any.
    public var revokedBy: UUID?
    /// When the row was created.
    public var createdAt: Date
    /// When the license last validated successfully.
    public var lastValidatedAt: Date?
    /// How many validations of this license succeeded.
    public var validationCount: Int64
    /// Free-form metadata supplied at generation, stored as a JSON object.
    public var metadata: [String: String]

    public init(
        id: UUID, ownerID: UUID, namespace: String, tier: String, keyHash: String, issuedAt: Date,
        expiresAt: Date?, isActive: Bool = true, revokedAt: Date? = nil, revokedReason: String? = nil,
        revokedBy: UUID? = nil, createdAt: Date, lastValidatedAt: Date? = nil, validationCount: Int64 = 0,
        metadata: [String: String] = [:]
    ) {
        self.id = id
        self.ownerID = ownerID
        self.namespace = namespace
        self.tier = tier
        self.keyHash = keyHash
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.isActive = isActive
        self.revokedAt = revokedAt
        self.revokedReason = revokedReason
        self.revokedBy = revokedBy
        self.createdAt = createdAt
        self.lastValidatedAt = lastValidatedAt
        self.validationCount = validationCount
        self.metadata = metadata
    }

    /// The license's status at a moment: revoked (or deactivated) wins over expired.
    public func status(at now: Date) -> LicenseStatus {
        if revokedAt != nil || !isActive { return .revoked }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }
}

/// The derived status of a license.
public enum LicenseStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, expired, revoked
}

/// The values needed to insert a license; the store sets `created_at`, activity and counters.
public struct NewLicense: Sendable, Hashable {
    public var id: UUID
    public var ownerID: UUID
    public var namespace: String
    public var tier: String
    public var keyHash: String
    public var issuedAt: Date
    public var expiresAt: Date?
    public var metadata: [String: String]

    public init(
        id: UUID, ownerID: UUID, namespace: String, tier: String, keyHash: String, issuedAt: Date,
        expiresAt: Date?, metadata: [String: String] = [:]
    ) {
        self.id = id
        self.ownerID = ownerID
        self.namespace = namespace
        self.tier = tier
        self.keyHash = keyHash
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.metadata = metadata
    }
}

/// Filters for listing licenses; `nil` matches everything.
public struct LicenseFilter: Sendable, Hashable {
    /// Only licenses owned by this agent.
    public var ownerID: UUID?
    /// Only licenses in this namespace.
    public var namespace: String?
    /// Only licenses of this tier.
    public var tier: String?
    /// Only licenses with this derived status at the store's current time.
    public var status: LicenseStatus?

    public init(ownerID: UUID? = nil, namespace: String? = nil, tier: String? = nil, status: LicenseStatus? = nil) {
        self.ownerID = ownerID
        self.namespace = namespace
        self.tier = tier
        self.status = status
    }

    /// Whether a license passes the filter at a moment.
    public func matches(_ license: License, at now: Date) -> Bool {
        (ownerID == nil || license.ownerID == ownerID) && (namespace == nil || license.namespace == namespace)
            && (tier == nil || license.tier == tier) && (status == nil || license.status(at: now) == status)
    }
}
