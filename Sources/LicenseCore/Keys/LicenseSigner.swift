import Crypto
import Foundation
import TMWSRBAC

/// Signs and verifies license keys: the checksum is the first 8 bytes (16 hex digits) of
/// HMAC-SHA256(secret, "{TIER}:{uuid}:{expiry}"), where expiry is the Unix time in whole seconds
/// or `PERPETUAL`. Byte-compatible with TMWS v2.3.0 (Python) keys signed with the same secret.
public struct LicenseSigner: Sendable {
    let secret: SigningSecret

    public init(secret: SigningSecret) {
        self.secret = secret
    }

    /// The checksum of a key's contents.
    public func checksum(tier: LicenseTier, id: UUID, expiresAt: Date?) -> LicenseKey.Checksum {
        var message = tier.rawValue
        message += ":"
        message += id.uuidString.lowercased()
        message += ":"
        if let expiresAt {
            message += String(Int64(expiresAt.timeIntervalSince1970.rounded(.down)))
        } else {
            message += "PERPETUAL"
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: secret.key)
        return mac.withUnsafeBytes { raw in
            var value: UInt64 = 0
            for index in 0..<8 { value = value << 8 | UInt64(raw[index]) }
            return LicenseKey.Checksum(value)
        }
    }

    /// A signed key for a license.
    public func key(tier: LicenseTier, id: UUID, expiresAt: Date?) -> LicenseKey {
        LicenseKey(tier: tier, id: id, checksum: checksum(tier: tier, id: id, expiresAt: expiresAt))
    }

    /// Whether a parsed key's checksum matches its contents and the given expiry (constant time).
    public func verify(_ key: LicenseKey, expiresAt: Date?) -> Bool {
        checksum(tier: key.tier, id: key.id, expiresAt: expiresAt).constantTimeEquals(key.checksum)
    }

    /// The SHA-256 hex of a key's text, as stored in `license_key_hash`.
    public static func hash(_ keyText: String) -> String { Digest.sha256Hex(keyText) }
}
