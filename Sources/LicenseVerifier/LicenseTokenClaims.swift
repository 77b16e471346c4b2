import Foundation
import JWTKit

/// The claims of a license token: a JWT (RFC 7519) in a JWS compact serialization (RFC 7515),
/// signed with EdDSA over Ed25519 (RFC 8037), with the header
/// `{"alg": "EdDSA", "kid": …, "typ": "tmws-license+jwt"}`.
///
/// Times are NumericDates: whole seconds since 1970-01-01T00:00:00Z. Nothing in a token is secret.
///
/// ```json
/// {
///   "iss": "tmws",
///   "sub": "550e8400-e29b-41d4-a716-446655440000",
///   "aud": "desktop-app",
///   "iat": 1796000000, "nbf": 1796000000, "exp": 1796604800,
///   "jti": "0d9c1f3e-4b7a-4c59-9e0e-2f6b9d1c7a55",
///   "tier": "PRO", "namespace": "acme",
///   "license_exp": 1827536000,
///   "fingerprint": "machine-7f3a"
/// }
/// ```
public struct LicenseTokenClaims: JWTPayload, Hashable {
    /// The `typ` header of every license token.
    public static let type = "tmws-license+jwt"
    /// The `alg` header of every license token.
    public static let algorithm = "EdDSA"

    /// `iss`: the deployment that issued the token (configurable; `tmws` by default).
    public var issuer: String
    /// `sub`: the license id, a lowercase canonical UUID.
    public var subject: String
    /// `aud`: who the token is for, when the checkout named an audience.
    public var audience: String?
    /// `iat`: when the token was issued.
    public var issuedAt: Int64
    /// `nbf`: before this time the token is not valid.
    public var notBefore: Int64
    /// `exp`: the token's own expiry (at most the license's).
    public var expiresAt: Int64
    /// `jti`: the token's unique id.
    public var tokenID: String
    /// The license's tier: `FREE`, `PRO` or `ENTERPRISE`.
    public var tier: String
    /// The namespace of the license's owner.
    public var namespace: String
    /// `license_exp`: the license's own expiry; absent for a perpetual license.
    public var licenseExpiresAt: Int64?
    /// The machine fingerprint the token is bound to, when the checkout named one.
    public var fingerprint: String?

    public init(
        issuer: String, subject: String, audience: String? = nil, issuedAt: Int64, notBefore: Int64, expiresAt: Int64,
        tokenID: String, tier: String, namespace: String, licenseExpiresAt: Int64? = nil, fingerprint: String? = nil
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.tier = tier
        self.namespace = namespace
        self.licenseExpiresAt = licenseExpiresAt
        self.fingerprint = fingerprint
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", issuedAt = "iat", notBefore = "nbf", expiresAt = "exp"
        case tokenID = "jti", tier, namespace, licenseExpiresAt = "license_exp", fingerprint
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try c.decode(String.self, forKey: .issuer)
        subject = try c.decode(String.self, forKey: .subject)
        // `aud` is a string or an array of strings (RFC 7519 §4.1.3); ours is one string.
        if let single = try? c.decodeIfPresent(String.self, forKey: .audience) {
            audience = single
        } else if let many = try c.decodeIfPresent([String].self, forKey: .audience) {
            guard many.count <= 1 else {
                throw DecodingError.dataCorruptedError(forKey: .audience, in: c, debugDescription: "more than one audience")
            }
            audience = many.first
        } else {
            audience = nil
        }
        issuedAt = try Self.numericDate(c, .issuedAt)
        notBefore = try Self.numericDate(c, .notBefore)
        expiresAt = try Self.numericDate(c, .expiresAt)
        tokenID = try c.decode(String.self, forKey: .tokenID)
        tier = try c.decode(String.self, forKey: .tier)
        namespace = try c.decode(String.self, forKey: .namespace)
        licenseExpiresAt = try c.contains(.licenseExpiresAt) ? Self.numericDate(c, .licenseExpiresAt) : nil
        fingerprint = try c.decodeIfPresent(String.self, forKey: .fingerprint)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(subject, forKey: .subject)
        try c.encodeIfPresent(audience, forKey: .audience)
        try c.encode(issuedAt, forKey: .issuedAt)
        try c.encode(notBefore, forKey: .notBefore)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(tokenID, forKey: .tokenID)
        try c.encode(tier, forKey: .tier)
        try c.encode(namespace, forKey: .namespace)
        try c.encodeIfPresent(licenseExpiresAt, forKey: .licenseExpiresAt)
        try c.encodeIfPresent(fingerprint, forKey: .fingerprint)
    }

    /// A NumericDate: a JSON number of seconds, taken as whole seconds (fractions are cut off);
    /// one outside ±2^53 is malformed.
    private static func numericDate(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int64 {
        let seconds = try c.decode(Double.self, forKey: key)
        guard seconds.isFinite, abs(seconds) < 9_007_199_254_740_992 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a NumericDate")
        }
        return Int64(seconds.rounded(.down))
    }

    /// Nothing: ``LicenseVerifier`` checks every claim against the time it is given, not the system clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
