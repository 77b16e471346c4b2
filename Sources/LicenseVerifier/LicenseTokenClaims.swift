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
        guard let seconds = numericDate(try c.decode(Double.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a NumericDate")
        }
        return seconds
    }

    private static func numericDate(_ seconds: Double) -> Int64? {
        guard seconds.isFinite, abs(seconds) < 9_007_199_254_740_992 else { return nil }
        return Int64(seconds.rounded(.down))
    }

    /// The claims in a token's payload, read exactly as `init(from:)` reads them through
    /// `JSONDecoder`, by `TokenJSON` (see there why); `nil` when they are malformed. (SPI for the
    /// tests and the fuzz target, which compare it with `JSONDecoder`.)
    @_spi(TokenJSON) public init?(json: [UInt8]) {
        guard let members = TokenJSON.object(json), let claims = try? Self(members: members) else { return nil }
        self = claims
    }

    /// A member of the wrong type: the claims are malformed.
    private struct WrongType: Error {}

    private init(members: [(name: String, value: TokenJSON.Value)]) throws(WrongType) {
        var issuer: String?, subject: String?, audience: String?, tokenID: String?, tier: String?, namespace: String?
        var fingerprint: String?, issuedAt: Int64?, notBefore: Int64?, expiresAt: Int64?, licenseExpiresAt: Int64?
        func required(_ value: TokenJSON.Value) throws(WrongType) -> String {
            guard case .string(let text) = value else { throw WrongType() }
            return text
        }
        func optional(_ value: TokenJSON.Value) throws(WrongType) -> String? {
            switch value {
            case .string(let text): return text
            case .null: return nil
            default: throw WrongType()
            }
        }
        func date(_ value: TokenJSON.Value) throws(WrongType) -> Int64 {
            guard case .number(let seconds) = value, let date = Self.numericDate(seconds) else { throw WrongType() }
            return date
        }
        for (name, value) in members {
            switch name {
            case "iss": issuer = try required(value)
            case "sub": subject = try required(value)
            case "jti": tokenID = try required(value)
            case "tier": tier = try required(value)
            case "namespace": namespace = try required(value)
            case "fingerprint": fingerprint = try optional(value)
            case "aud":
                // A string or an array of strings (RFC 7519 §4.1.3); ours is one string.
                switch value {
                case .string(let text): audience = text
                case .null: audience = nil
                case .strings(let many) where many.count <= 1: audience = many.first
                default: throw WrongType()
                }
            case "iat": issuedAt = try date(value)
            case "nbf": notBefore = try date(value)
            case "exp": expiresAt = try date(value)
            case "license_exp": licenseExpiresAt = try date(value)
            default: continue
            }
        }
        guard let issuer, let subject, let issuedAt, let notBefore, let expiresAt, let tokenID, let tier, let namespace else { throw WrongType() }
        self.init(
            issuer: issuer, subject: subject, audience: audience, issuedAt: issuedAt, notBefore: notBefore, expiresAt: expiresAt,
            tokenID: tokenID, tier: tier, namespace: namespace, licenseExpiresAt: licenseExpiresAt, fingerprint: fingerprint)
    }

    /// The claims as the JSON a token carries: what `JSONEncoder` with `.sortedKeys` and
    /// `.withoutEscapingSlashes` writes for them, written by `TokenJSON` (see there why). (SPI for
    /// the signer in TMWSLicenseCore, the tests and the fuzz target.)
    @_spi(TokenJSON) public func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        var first = true
        func member(_ name: StaticString) {
            out.append(first ? 0x7b : 0x2c)
            first = false
            out.append(0x22)
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [0x22, 0x3a])
        }
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            member(name)
            TokenJSON.append(string: value, to: &out)
        }
        func number(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            member(name)
            out.append(contentsOf: String(value).utf8)
        }
        // In the order of the names' bytes, as `.sortedKeys` orders them.
        string("aud", audience)
        number("exp", expiresAt)
        string("fingerprint", fingerprint)
        number("iat", issuedAt)
        string("iss", issuer)
        string("jti", tokenID)
        number("license_exp", licenseExpiresAt)
        string("namespace", namespace)
        number("nbf", notBefore)
        string("sub", subject)
        string("tier", tier)
        out.append(0x7d)
        return out
    }

    /// Nothing: ``LicenseVerifier`` checks every claim against the time it is given, not the system clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
