import Foundation

/// What ``LicenseVerifier/verify(_:now:audience:fingerprint:)`` found: a stable ``Code`` and, for
/// `VALID`, the verified license.
public struct LicenseVerification: Sendable, Hashable, CustomStringConvertible {
    /// A verdict with a stable name (its `rawValue`), checked in this order: `MALFORMED`,
    /// `UNKNOWN_KEY`, `BAD_SIGNATURE`, `WRONG_ISSUER`, `CLOCK_ROLLBACK`, `NOT_YET_VALID`, `EXPIRED`,
    /// `LICENSE_EXPIRED`, `WRONG_AUDIENCE`, `FINGERPRINT_MISMATCH`; else `VALID`.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The token is a license token, signed by a key of the JWKS, current, and meant for this caller.
        case valid = "VALID"
        /// Not a license token: not three base64url segments, over 8 KiB, bad JSON, missing claims,
        /// or a header other than `{"alg": "EdDSA", "kid": …, "typ": "tmws-license+jwt"}` (`alg: none`,
        /// HMAC algorithms and `crit` are refused here, before any key is used).
        case malformed = "MALFORMED"
        /// The `kid` names no Ed25519 key of the JWKS (a removed key, or another deployment's).
        case unknownKey = "UNKNOWN_KEY"
        /// The signature is not the named key's over this header and payload.
        case badSignature = "BAD_SIGNATURE"
        /// `iss` is not the deployment the verifier trusts.
        case wrongIssuer = "WRONG_ISSUER"
        /// `now` is earlier, by more than the tolerance, than a time the verifier has already seen.
        case clockRollback = "CLOCK_ROLLBACK"
        /// `iat` or `nbf` is after `now` (beyond the leeway).
        case notYetValid = "NOT_YET_VALID"
        /// The token's own `exp` has passed: check out a new one.
        case expired = "EXPIRED"
        /// The license itself expired (`license_exp`).
        case licenseExpired = "LICENSE_EXPIRED"
        /// The token names an audience other than the caller's (or any, when the caller named none).
        case wrongAudience = "WRONG_AUDIENCE"
        /// The token is bound to another machine's fingerprint (or the caller gave none).
        case fingerprintMismatch = "FINGERPRINT_MISMATCH"
    }

    public let code: Code
    /// The verified license, for `VALID` only.
    public let license: VerifiedLicense?

    public var isValid: Bool { code == .valid }

    init(_ code: Code, _ license: VerifiedLicense? = nil) {
        self.code = code
        self.license = code == .valid ? license : nil
    }

    public var description: String { license.map { "\(code.rawValue) \($0)" } ?? code.rawValue }
}

/// A license as an authentic, current token describes it.
public struct VerifiedLicense: Sendable, Hashable, CustomStringConvertible {
    /// The license id (`sub`).
    public let licenseID: UUID
    /// `FREE`, `PRO` or `ENTERPRISE`.
    public let tier: String
    public let namespace: String
    /// When the license expires; `nil` for a perpetual license.
    public let licenseExpiresAt: Date?
    /// When this token expires: check out a new one before then.
    public let tokenExpiresAt: Date
    public let issuedAt: Date
    /// The key that signed the token.
    public let keyID: String
    /// The token's id (`jti`).
    public let tokenID: String
    public let audience: String?
    public let fingerprint: String?

    public var description: String { "\(tier) license \(licenseID.uuidString.lowercased()) in \(namespace)" }
}
