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
/// let result = await verifier.verify(token, audience: "desktop-app", fingerprint: machineID)
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

    private let keys: JWTKeyCollection
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
        for key in keySet.keys {
            guard let bytes = Base64URL.decode(key.x), let publicKey = try? EdDSA.PublicKey(x: key.x, curve: .ed25519), bytes.count == 32 else {
                throw LicenseVerifierError("key \(key.kid.prefix(64)) is not an Ed25519 public key")
            }
            await keys.add(eddsa: publicKey, kid: JWKIdentifier(string: key.kid))
        }
        self.keys = keys
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
    public func verify(_ token: String, now: Date = Date(), audience: String? = nil, fingerprint: String? = nil) async -> LicenseVerification {
        guard let header = Self.header(of: token) else { return LicenseVerification(.malformed) }
        guard keyIDs.contains(header.kid) else { return LicenseVerification(.unknownKey) }
        let claims: LicenseTokenClaims
        do {
            claims = try await keys.verify(header.token, as: LicenseTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            return LicenseVerification(.badSignature)
        } catch {
            return LicenseVerification(.malformed)
        }
        return decide(claims, kid: header.kid, now: now, audience: audience, fingerprint: fingerprint)
    }

    /// The checks on an authentic token's claims, in the documented order.
    func decide(_ claims: LicenseTokenClaims, kid: String, now: Date, audience: String?, fingerprint: String?) -> LicenseVerification {
        guard let licenseID = UUID(uuidString: claims.subject), licenseID.uuidString.lowercased() == claims.subject else {
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

    /// The header's `kid` when the token has the shape and header of a license token: at most
    /// ``maximumTokenBytes``, three non-empty base64url segments, and a header with exactly
    /// `alg: EdDSA`, `typ: tmws-license+jwt`, a string `kid` and no `crit`.
    static func header(of text: String) -> (kid: String, token: String)? {
        guard text.utf8.count <= maximumTokenBytes + 64 else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count <= maximumTokenBytes else { return nil }
        let segments = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3, segments.allSatisfy({ !$0.isEmpty }),
            let headerBytes = Base64URL.decode(String(decoding: segments[0], as: UTF8.self)),
            Base64URL.decode(String(decoding: segments[1], as: UTF8.self)) != nil,
            let signature = Base64URL.decode(String(decoding: segments[2], as: UTF8.self)), signature.count == 64,
            let header = try? JSONDecoder().decode(JWTHeader.self, from: Data(headerBytes))
        else { return nil }
        guard header.alg == LicenseTokenClaims.algorithm, header.typ == LicenseTokenClaims.type, header.fields["crit"] == nil,
            let kid = header.kid, !kid.isEmpty
        else { return nil }
        return (kid, token)
    }
}
