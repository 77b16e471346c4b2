import Foundation
import TMWSStorage

/// A newly generated license and its key. The key is shown once: it is not stored, only its hash.
public struct GeneratedLicense: Sendable, CustomStringConvertible {
    /// The key text, `TMWS-{TIER}-{UUID}-{CHECKSUM}`. Give it to the customer; it is not recoverable.
    public let key: String
    /// The stored license.
    public let license: License

    /// Never contains the key.
    public var description: String { "GeneratedLicense(\(license.id.canonicalText), \(license.tier))" }
}

/// The answer to a validation.
public struct ValidationResult: Sendable, Hashable {
    /// Whether the key may be honoured now.
    public let valid: Bool
    /// The verdict.
    public let code: VerdictCode
    /// The license's tier, id and expiry — given for `VALID`, `EXPIRED` and `REVOKED` only, so that
    /// a forged or unknown key learns nothing.
    public let tier: LicenseTier?
    public let licenseID: UUID?
    public let expiresAt: Date?
    /// Whether the license never expires (only when the license is disclosed).
    public let isPerpetual: Bool?
    /// When the attempt was recorded.
    public let validatedAt: Date
}

/// The outcome of a revocation.
public struct RevocationResult: Sendable, Hashable {
    public let licenseID: UUID
    /// The revocation time that stands (the first one).
    public let revokedAt: Date
    /// The reason that stands (the first one).
    public let reason: String?
    /// Whether the license had been revoked before this call.
    public let alreadyRevoked: Bool
}

/// A license with its derived status.
public struct LicenseInfo: Sendable, Hashable {
    public let license: License
    /// `active`, `expired` or `revoked`, at the time of the call.
    public let status: LicenseStatus
    public let isPerpetual: Bool
    /// Successful validations so far.
    public var validationCount: Int64 { license.validationCount }
}
