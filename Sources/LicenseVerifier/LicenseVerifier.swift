import Foundation
import JWTKit

/// Verifies license tokens offline, with a deployment's public keys alone.
///
/// A token is what `checkout_license` returns: a JWS compact serialization of a JWT signed with
/// EdDSA over Ed25519, checked here with jwt-kit. Anything may be handed in — a token from an
/// attacker, a megabyte of noise — and `verify` answers with a ``LicenseVerification/Code`` and
/// never throws or crashes.
///
/// ```swift
/// import TMWSLicenseVerifier
///
/// let verifier = try LicenseVerifier(jwks: jwksData, issuer: "tmws",
///                                    clock: FileVerifierClock(path: supportDirectory + "/clock"))
/// let result = verifier.verify(token, audience: "desktop-app", fingerprint: machineID)
/// if let license = result.license, license.tier == "PRO" { enableProFeatures() }
/// ```
///
/// Revocation reaches an app only through the token's expiry: check out a new token before
/// `tokenExpiresAt`, and choose the checkout's TTL as the longest time a revoked license may keep
/// working offline.
public struct LicenseVerifier: Sendable {
    /// The longest token accepted, in bytes; longer input is `MALFORMED` before anything is decoded.
    public static let maximumTokenBytes = 8 * 1024

    /// The issuer (`iss`) trusted.
    public let issuer: String
    /// The ids of the keys that verify.
    public let keyIDs: Set<String>
    /// How far `now` may lie before the newest time seen before it is `CLOCK_ROLLBACK`.
    public let rollbackTolerance: TimeInterval
    /// How far `iat` and `nbf` may lie after `now` (clocks differ a little).
    public let leeway: TimeInterval

    /// jwt-kit's EdDSA algorithm for each key id, taken from a `JWTKeyCollection` once, so that a
    /// verification is a plain call (no actor hop, no second parse of the token).
    private let algorithms: [String: any JWTAlgorithm]
    private let clock: (any VerifierClock)?

    /// - Parameters:
    ///   - jwks: the deployment's JSON Web Key Set (its `/.well-known/jwks.json`, or what
    ///     `tmwsctl signing-key export --jwks` wrote); only its Ed25519 signature keys are used.
    ///   - issuer: the deployment's issuer (`iss`), `tmws` unless it was configured otherwise.
    ///   - clock: where the newest time seen is kept, for `CLOCK_ROLLBACK`; `nil` turns that check off.
    ///   - rollbackTolerance: how far the clock may go back before it counts as turned back (default 10 minutes).
    ///   - leeway: how far `iat` and `nbf` may be ahead of `now` (default 60 seconds).
    /// - Throws: ``LicenseVerifierError`` when `jwks` is not a key set or holds no Ed25519 signature key.
    public init(
        jwks: some DataProtocol, issuer: String = "tmws", clock: (any VerifierClock)? = nil, rollbackTolerance: TimeInterval = 600,
        leeway: TimeInterval = 60
    ) async throws(LicenseVerifierError) {
        try await self.init(keySet: PublicKeySet(json: jwks), issuer: issuer, clock: clock, rollbackTolerance: rollbackTolerance, leeway: leeway)
    }

    /// A verifier over a key set already read.
    public init(
        keySet: PublicKeySet, issuer: String = "tmws", clock: (any VerifierClock)? = nil, rollbackTolerance: TimeInterval = 600,
        leeway: TimeInterval = 60
    ) async throws(LicenseVerifierError) {
        guard !keySet.keys.isEmpty else { throw LicenseVerifierError("the key set holds no Ed25519 signature key") }
        let keys = JWTKeyCollection()
        var algorithms: [String: any JWTAlgorithm] = [:]
        for key in keySet.keys {
            guard let bytes = Base64URL.decode(key.x), bytes.count == 32, let publicKey = try? EdDSA.PublicKey(x: key.x, curve: .ed25519) else {
                throw LicenseVerifierError("key \(key.kid.prefix(64)) is not an Ed25519 public key")
            }
            let kid = JWKIdentifier(string: key.kid)
            await keys.add(eddsa: publicKey, kid: kid)
            do {
                algorithms[key.kid] = try await keys.getKey(for: kid, alg: LicenseTokenClaims.algorithm)
            } catch {
                throw LicenseVerifierError("key \(key.kid.prefix(64)) cannot verify: \(error)")
            }
        }
        self.algorithms = algorithms
        self.keyIDs = Set(keySet.keys.map(\.kid))
        self.issuer = issuer
        self.clock = clock
        self.rollbackTolerance = rollbackTolerance
        self.leeway = leeway
    }

    /// Verifies a token.
    /// - Parameters:
    ///   - token: the token as received (surrounding spaces and line breaks are ignored).
    ///   - now: the time to check against (default: the system clock).
    ///   - audience: who is verifying; a token that names an audience other than this one (or any
    ///     audience, when none is given) is `WRONG_AUDIENCE`. A token that names none is for anyone.
    ///   - fingerprint: this machine's fingerprint; a token bound to another (or bound when none is
    ///     given) is `FINGERPRINT_MISMATCH`. A token bound to no machine passes.
    public func verify(_ token: String, now: Date = Date(), audience: String? = nil, fingerprint: String? = nil) -> LicenseVerification {
        guard let shaped = Self.shaped(token) else { return LicenseVerification(.malformed) }
        // The header and the claims are decoded once each (by TokenJSON); nothing is trusted before
        // the header is checked and the signature verified (by jwt-kit's EdDSA algorithm, below).
        let token = shaped.token, dots = shaped.dots
        guard let headerBytes = Base64URL.decode(bytes: token[..<dots.0]),
            let header = TokenHeader(json: headerBytes),
            header.alg == LicenseTokenClaims.algorithm, header.typ == LicenseTokenClaims.type, !header.hasCrit,
            let kid = header.kid, !kid.isEmpty,
            let payload = Base64URL.decode(bytes: token[(dots.0 + 1)..<dots.1]),
            let claims = LicenseTokenClaims(json: payload),
            let signature = Base64URL.decode(bytes: token[(dots.1 + 1)...]), signature.count == 64
        else { return LicenseVerification(.malformed) }
        guard let algorithm = algorithms[kid] else { return LicenseVerification(.unknownKey) }
        guard (try? algorithm.verify(signature, signs: token[..<dots.1])) == true else {
            return LicenseVerification(.badSignature)
        }
        return decide(claims, kid: kid, now: now, audience: audience, fingerprint: fingerprint)
    }

    /// The checks on an authentic token's claims, in the documented order.
    func decide(_ claims: LicenseTokenClaims, kid: String, now: Date, audience: String?, fingerprint: String?) -> LicenseVerification {
        // Canonical: a UUID in the 8-4-4-4-12 form, in lowercase.
        guard let licenseID = UUID(uuidString: claims.subject), !claims.subject.utf8.contains(where: { (0x41...0x46).contains($0) }) else {
            return LicenseVerification(.malformed)
        }
        guard claims.issuer == issuer else { return LicenseVerification(.wrongIssuer) }
        let issuedAt = Date(timeIntervalSince1970: TimeInterval(claims.issuedAt))
        if let clock {
            if let newest = clock.newestSeen(), now < newest.addingTimeInterval(-rollbackTolerance) {
                return LicenseVerification(.clockRollback)
            }
            clock.noteSeen(issuedAt <= now.addingTimeInterval(leeway) ? max(now, issuedAt) : now)
        }
        let seconds = now.timeIntervalSince1970
        guard TimeInterval(claims.issuedAt) <= seconds + leeway, TimeInterval(claims.notBefore) <= seconds + leeway else {
            return LicenseVerification(.notYetValid)
        }
        guard seconds < TimeInterval(claims.expiresAt) else { return LicenseVerification(.expired) }
        if let licenseExpiry = claims.licenseExpiresAt, seconds >= TimeInterval(licenseExpiry) {
            return LicenseVerification(.licenseExpired)
        }
        if let intended = claims.audience, intended != audience { return LicenseVerification(.wrongAudience) }
        if let bound = claims.fingerprint, bound != fingerprint { return LicenseVerification(.fingerprintMismatch) }
        return LicenseVerification(
            .valid,
            VerifiedLicense(
                licenseID: licenseID, tier: claims.tier, namespace: claims.namespace,
                licenseExpiresAt: claims.licenseExpiresAt.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                tokenExpiresAt: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)), issuedAt: issuedAt, keyID: kid,
                tokenID: claims.tokenID, audience: claims.audience, fingerprint: claims.fingerprint))
    }

    /// The token's bytes when it has the shape of a JWS compact serialization: at most
    /// ``maximumTokenBytes`` once trimmed, three non-empty segments of base64url characters (no
    /// padding), and where its two periods are.
    static func shaped(_ text: String) -> (token: [UInt8], dots: (Int, Int))? {
        guard text.utf8.count <= maximumTokenBytes + 64 else { return nil }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else { return nil }
        let token = Array(utf8[first...last])
        guard token.count <= maximumTokenBytes else { return nil }
        var firstDot: Int?, secondDot: Int?
        for (index, byte) in token.enumerated() {
            switch byte {
            case 0x41...0x5a, 0x61...0x7a, 0x30...0x39, 0x2d, 0x5f: continue
            case 0x2e where firstDot == nil: firstDot = index
            case 0x2e where secondDot == nil: secondDot = index
            default: return nil
            }
        }
        guard let firstDot, let secondDot, firstDot > 0, secondDot > firstDot + 1, secondDot < token.count - 1 else { return nil }
        return (token, (firstDot, secondDot))
    }
}

/// The header fields a license token may have, as decoded: `crit` only noted, since any `crit` is refused.
/// (SPI for the tests and the fuzz target, which compare it with `JSONDecoder`.)
@_spi(TokenJSON) public struct TokenHeader: Equatable {
    public var alg: String?
    public var kid: String?
    public var typ: String?
    public var hasCrit: Bool

    /// The header in a token's first segment (its JSON); `nil` when it is not a JSON object or
    /// `alg`, `kid` or `typ` is there and neither a string nor null.
    public init?(json: [UInt8]) {
        guard let members = TokenJSON.object(json) else { return nil }
        (alg, kid, typ, hasCrit) = (nil, nil, nil, false)
        for (name, value) in members {
            let text: String?
            switch value {
            case .string(let string): text = string
            case .null: text = nil
            default:
                guard !["alg", "kid", "typ"].contains(name) else { return nil }
                text = nil
            }
            switch name {
            case "alg": alg = text
            case "kid": kid = text
            case "typ": typ = text
            case "crit": hasCrit = true
            default: continue
            }
        }
    }
}
