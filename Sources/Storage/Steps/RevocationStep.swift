import Foundation

/// The outcome of ``LicenseStore/revokeLicense(id:reason:revokedBy:audit:)``.
public struct Revocation: Sendable, Hashable {
    /// The license as it stands after the call.
    public var license: License
    /// `true` when the license was already revoked before this call; its first revocation stands.
    public var alreadyRevoked: Bool
    /// The revocation time that stands (the first one).
    public var revokedAt: Date
    /// The revocation reason that stands (the first one).
    public var reason: String?

    public init(license: License, alreadyRevoked: Bool, revokedAt: Date, reason: String?) {
        self.license = license
        self.alreadyRevoked = alreadyRevoked
        self.revokedAt = revokedAt
        self.reason = reason
    }
}

extension Revocation {
    /// What revoking `license` at `now` leaves, the same for every backend: the license's first
    /// revocation stands (``alreadyRevoked``, with its time and reason); otherwise the license is
    /// inactive and revoked at `now`, for `reason`, by `revokedBy`. The backend writes the change
    /// when ``alreadyRevoked`` is `false`.
    package init(revoking license: License, at now: Date, reason: String?, by revokedBy: UUID?) {
        if let revokedAt = license.revokedAt {
            self.init(license: license, alreadyRevoked: true, revokedAt: revokedAt, reason: license.revokedReason)
            return
        }
        var revoked = license
        revoked.isActive = false
        revoked.revokedAt = now
        revoked.revokedReason = reason
        revoked.revokedBy = revokedBy
        self.init(license: revoked, alreadyRevoked: false, revokedAt: now, reason: reason)
    }
}
