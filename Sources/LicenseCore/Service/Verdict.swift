import Foundation
import TMWSStorage

/// The outcome code of a license validation. Stable: stored in `failure_reason` and returned by tools.
public enum VerdictCode: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// The key is genuine, active, unexpired and not revoked.
    case valid = "VALID"
    /// The text is not a well-formed key.
    case malformed = "MALFORMED"
    /// No license has the key's id.
    case notFound = "NOT_FOUND"
    /// The checksum or the stored hash does not match: forged or tampered.
    case badSignature = "BAD_SIGNATURE"
    /// The license expired.
    case expired = "EXPIRED"
    /// The license was revoked or deactivated (`is_active = 0`).
    case revoked = "REVOKED"

    public var description: String { rawValue }
}

/// The pure validation decision: a key, the license stored under its id (or none), and the time.
public enum Verdict {
    /// Decides a parsed key against the stored license.
    ///
    /// Order matters: authenticity is checked before state, so that a forged key learns nothing
    /// about the license it names.
    public static func decide(
        key: LicenseKey, keyHash: String, license: License?, signer: LicenseSigner, now: Date
    ) -> VerdictCode {
        guard let license else { return .notFound }
        guard signer.verify(key, expiresAt: license.expiresAt), license.tier == key.tier.rawValue,
            constantTimeEquals(license.keyHash, keyHash)
        else { return .badSignature }
        if license.revokedAt != nil || !license.isActive { return .revoked }
        if let expiresAt = license.expiresAt, expiresAt <= now { return .expired }
        return .valid
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
