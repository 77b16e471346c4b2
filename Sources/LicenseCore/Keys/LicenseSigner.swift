import Crypto
import Foundation
import TMWSRBAC

/// Signs and verifies license keys: the checksum is the first 8 bytes (16 hex digits) of
/// HMAC-SHA256(secret, "{TIER}:{uuid}:{expiry}"), where expiry is the Unix time in whole seconds
/// or `PERPETUAL`. Byte-compatible with TMWS v2.3.0 (Python) keys signed with the same secret.
public struct LicenseSigner: Sendable {
    /// The HMAC keyed once; each checksum continues from a copy of this state.
    private let keyed: HMAC<SHA256>
    /// The secret, for the vault that seals token-signing keys under it.
    let secret: SigningSecret

    public init(secret: SigningSecret) {
        self.keyed = HMAC<SHA256>(key: secret.key)
        self.secret = secret
    }

    /// The checksum of a key's contents.
    public func checksum(tier: LicenseTier, id: UUID, expiresAt: Date?) -> LicenseKey.Checksum {
        var mac = keyed
        Self.withMessage(tier: tier, id: id, expiresAt: expiresAt) { mac.update(data: $0) }
        return mac.finalize().withUnsafeBytes { raw in
            var value: UInt64 = 0
            for index in 0..<8 { value = value << 8 | UInt64(raw[index]) }
            return LicenseKey.Checksum(value)
        }
    }

    /// Builds `"{TIER}:{uuid}:{expiry}"` in a stack buffer, without intermediate strings.
    private static func withMessage<T>(
        tier: LicenseTier, id: UUID, expiresAt: Date?, _ body: (UnsafeRawBufferPointer) -> T
    ) -> T {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 80) { buffer in
            var count = 0
            func append(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            for byte in tier.rawValue.utf8 { append(byte) }
            append(UInt8(ascii: ":"))
            withUnsafeBytes(of: id.uuid) { uuid in
                for (index, byte) in uuid.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 { append(UInt8(ascii: "-")) }
                    append(hexDigits[Int(byte >> 4)])
                    append(hexDigits[Int(byte & 0x0f)])
                }
            }
            append(UInt8(ascii: ":"))
            if let expiresAt {
                let seconds = Self.wholeSeconds(expiresAt)
                if seconds < 0 { append(UInt8(ascii: "-")) }
                var magnitude = seconds.magnitude
                var digits: [UInt8] = []
                repeat {
                    digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
                    magnitude /= 10
                } while magnitude > 0
                for digit in digits.reversed() { append(digit) }
            } else {
                for byte in "PERPETUAL".utf8 { append(byte) }
            }
            return body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<count]))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Whole seconds since 1970, rounded down. A date past what `Int64` seconds hold (about
    /// ±2.9×10¹¹ years; no issued or stored expiry comes near) is clamped instead of trapping.
    static func wholeSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        if seconds.isNaN { return 0 }
        if seconds >= 9.223_372_036_854_775e18 { return .max }
        if seconds <= -9.223_372_036_854_775e18 { return .min }
        return Int64(seconds)
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
