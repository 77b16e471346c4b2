import Foundation
import Synchronization
import TMWSStorage

/// The outcome code of a license validation. Stable: stored in `failure_reason` and returned by tools.
public enum VerdictCode: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// The key is genuine, active, unexpired and not revoked.
    case valid = "VALID"
    /// The text is not a well-formed key.
    case malformed = "MALFORMED"
    /// No license was issued with this key: its id is unknown, or the key is not the one stored for
    /// its id (its SHA-256 matches no stored hash: forged or mangled). The two read alike, so a
    /// forged key does not tell whether its id exists.
    case notFound = "NOT_FOUND"
    /// The key is the one stored for its license, but its checksum does not sign the stored tier
    /// and expiry: the deployment's signing secret is not the one that issued the key, or the
    /// license row was changed.
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
    /// Order matters: a key that is not the one stored for its id is `NOT_FOUND` before anything
    /// else about the license is looked at, and authenticity is checked before state, so that a
    /// forged key learns nothing about the license it names — not even that it exists.
    public static func decide(
        key: LicenseKey, keyHash: String, license: License?, signer: LicenseSigner, now: Date
    ) -> VerdictCode {
        decide(key: key, keyHash: keyHash, license: license, now: now) { signer.verify(key, expiresAt: $0) }
    }

    /// ``decide(key:keyHash:license:signer:now:)`` with the checksum check given:
    /// `checksumMatches(expiresAt)` tells whether the key's checksum signs the stored expiry.
    static func decide(
        key: LicenseKey, keyHash: String, license: License?, now: Date, checksumMatches: (Date?) -> Bool
    ) -> VerdictCode {
        guard let license, constantTimeEquals(license.keyHash, keyHash) else { return .notFound }
        guard checksumMatches(license.expiresAt), license.tier == key.tier.rawValue else { return .badSignature }
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

/// The expiry each recently validated license had, so that a validation can check its key's
/// checksum (an HMAC) before the storage step and only compare expiries inside it: on SQLite the
/// step runs on the store's single writer, which bounds throughput, while the callers' threads
/// have time to spare. A license whose expiry is not known, or differs from what the step reads,
/// is checked inside the step as before, so a hint never changes a verdict. Emptied when it
/// reaches ``capacity``.
final class ExpiryHints: Sendable {
    static let capacity = 4096
    /// By license id: the expiry last read (`.some(nil)`: perpetual).
    private let expiries = Mutex<[UUID: Date?]>([:])

    /// The expiry last seen for a license, or `nil` when none was.
    func expiry(of id: UUID) -> Date?? {
        expiries.withLock { $0[id] }
    }

    /// Remembers the expiry a validation step read.
    func note(_ license: License) {
        expiries.withLock { expiries in
            if expiries[license.id].map({ $0 == license.expiresAt }) == true { return }
            if expiries.count >= Self.capacity { expiries.removeAll(keepingCapacity: true) }
            expiries[license.id] = .some(license.expiresAt)
        }
    }
}
