import Foundation
import Logging
import TMWSLicenseVerifier
import TMWSRBAC
import TMWSStorage

extension LicenseService {
    /// Token lifetimes: one hour to ninety days, seven days unless asked.
    public static let tokenLifetime: ClosedRange<TimeInterval> = 3600...(90 * 86_400)
    public static let defaultTokenLifetime: TimeInterval = 7 * 86_400
    /// An audience or fingerprint: 1 to 256 bytes of printable ASCII.
    static let tokenTextBytes = 256

    /// Checks out a license token for a key (`license:validate`: every role, since holding the key is
    /// the authority): the key is validated exactly as ``validateLicenseKey(as:key:featureAccessed:)``
    /// does — the same codes, one usage row with `feature_accessed` = `checkout`, in one transaction —
    /// and only a VALID key gets a token, signed with the deployment's active key.
    ///
    /// The token expires after `ttl`, never after the license itself. Revocation reaches an offline
    /// app only through that expiry: a revoked, expired or inactive license cannot be checked out again.
    ///
    /// - Parameters:
    ///   - principal: the caller (any role).
    ///   - key: the license key as presented (spaces and line breaks around it are ignored).
    ///   - ttl: the token's lifetime in seconds, 3600…7,776,000 (default 7 days).
    ///   - audience: the `aud` claim: who the token is for (1–256 printable ASCII bytes).
    ///   - fingerprint: the machine the token is bound to (1–256 printable ASCII bytes).
    /// - Throws: `invalidArgument` for a bound out of range; `unavailable` when no key is active (and
    ///   some exist: an admin retired the active one) or storage fails; what validation throws.
    public func checkoutLicense(
        as principal: Principal, key: String, ttl: TimeInterval? = nil, audience: String? = nil, fingerprint: String? = nil
    ) async throws(LicenseError) -> LicenseCheckout {
        try await run("checkout") {
            let lifetime = try Self.checkoutBounds(ttl: ttl, audience: audience, fingerprint: fingerprint)
            // The signer first, so that a checkout that cannot be signed records no VALID attempt.
            let signingKey = try await activeSigningKey(for: principal)
            let (result, license) = try await validate(as: principal, key: key, featureAccessed: "checkout")
            return try await signedCheckout(
                result, license: license, with: signingKey, lifetime: lifetime, audience: audience, fingerprint: fingerprint)
        }
    }

    /// Authenticates an API key and checks out a token as its agent: what `authenticate` followed by
    /// ``checkoutLicense(as:key:ttl:audience:fingerprint:)`` do — the same errors in the same order,
    /// the same rows — with the API key, the active signing key and the validation in one storage
    /// step where the backend allows it (`SigningKeyStore.recordCheckout`; on SQLite one write
    /// transaction). The MCP tool uses it.
    /// - Returns: the authenticated caller and the checkout.
    /// - Throws: `unauthenticated` first; then what ``checkoutLicense(as:key:ttl:audience:fingerprint:)`` throws.
    public func checkoutLicense(
        apiKey: String, authenticator: APIKeyAuthenticator, key: String, ttl: TimeInterval? = nil, audience: String? = nil,
        fingerprint: String? = nil
    ) async throws(LicenseError) -> (principal: Principal, checkout: LicenseCheckout) {
        try await run("checkout") {
            let apiKeyHash = try APIKeyAuthenticator.storedHash(ofPresented: apiKey)
            let lifetime: TimeInterval
            do {
                lifetime = try Self.checkoutBounds(ttl: ttl, audience: audience, fingerprint: fingerprint)
            } catch {
                // Authentication is reported first, as on the two-step path.
                _ = try await authenticator.authenticate(apiKey)
                throw error
            }
            guard let keys = store as? any SigningKeyStore else {
                let principal = try await authenticator.authenticate(apiKey)
                return (principal, try await checkoutLicense(as: principal, key: key, ttl: ttl, audience: audience, fingerprint: fingerprint))
            }
            let presented = LicenseKey.presented(key)
            let parsed = LicenseKey(parsing: presented)
            let step: CheckoutStep<Authorizer.Check>
            do {
                step = try await keys.recordCheckout(
                    apiKeyHash: apiKeyHash, licenseID: parsed?.id, featureAccessed: "checkout", authorize: authorizer.step(.licenseValidate),
                    decide: verdict(for: parsed, key: presented))
            } catch {
                let principal = try await authenticator.authenticate(apiKey)
                throw await authorizer.failure(.licenseValidate, for: principal, underlying: error)
            }
            switch step {
            case .unauthenticated:
                throw AccessError.unauthenticated
            case .noActiveKey(let resolved):
                // The first checkout of a deployment creates its first key; then the two-step path.
                await authenticator.noteUse(of: resolved.key)
                let principal = Principal(agentID: resolved.agent.id, keyID: resolved.key.id)
                return (principal, try await checkoutLicense(as: principal, key: key, ttl: ttl, audience: audience, fingerprint: fingerprint))
            case .recorded(let validation, let signingKey):
                await authenticator.noteUse(of: validation.key.key)
                let principal = Principal(agentID: validation.key.agent.id, keyID: validation.key.key.id)
                let result = try validationResult(validation.check, validation.recorded)
                return (
                    principal,
                    try await signedCheckout(
                        result, license: validation.recorded?.license, with: signingKey, lifetime: lifetime, audience: audience, fingerprint: fingerprint)
                )
            }
        }
    }

    /// The lifetime a checkout asks for, after checking its bounds.
    static func checkoutBounds(ttl: TimeInterval?, audience: String?, fingerprint: String?) throws(LicenseError) -> TimeInterval {
        let lifetime = ttl ?? defaultTokenLifetime
        guard tokenLifetime.contains(lifetime) else {
            throw LicenseError(.invalidArgument, "ttl_seconds must be between 3600 (1 hour) and 7776000 (90 days)")
        }
        try checkTokenText(audience, name: "audience")
        try checkTokenText(fingerprint, name: "fingerprint")
        return lifetime
    }

    /// The checkout of a recorded validation: a token for a VALID one, signed with `signingKey`.
    func signedCheckout(
        _ result: ValidationResult, license: License?, with signingKey: SigningKey, lifetime: TimeInterval, audience: String?,
        fingerprint: String?
    ) async throws -> LicenseCheckout {
        guard result.valid, let license else { return LicenseCheckout(validation: result, token: nil, keyID: nil, expiresAt: nil) }
        let issuedAt = Int64(result.validatedAt.timeIntervalSince1970.rounded(.down))
        var expiresAt = issuedAt + Int64(lifetime)
        if let licenseExpiry = license.expiresAt { expiresAt = min(expiresAt, Int64(licenseExpiry.timeIntervalSince1970.rounded(.down))) }
        let claims = LicenseTokenClaims(
            issuer: tokenIssuer, subject: license.id.canonicalText, audience: audience, issuedAt: issuedAt, notBefore: issuedAt,
            expiresAt: expiresAt, tokenID: UUID.random(using: context.random).canonicalText, tier: license.tier,
            namespace: license.namespace, licenseExpiresAt: license.expiresAt.map { Int64($0.timeIntervalSince1970.rounded(.down)) },
            fingerprint: fingerprint)
        let token = try await vault.sign(claims, with: signingKey)
        logger.debug("license checked out", metadata: ["license_id": "\(license.id.canonicalText)", "kid": "\(signingKey.kid)"])
        return LicenseCheckout(
            validation: result, token: token, keyID: signingKey.kid, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt)))
    }

    /// The active signing key. A deployment that has never had one gets its first here (audited as
    /// `signing_key_created`, by the caller); one whose active key was retired does not.
    func activeSigningKey(for principal: Principal) async throws -> SigningKey {
        guard let keys = store as? any SigningKeyStore else {
            throw LicenseError(.unavailable, "this store keeps no signing keys, so it cannot check out license tokens")
        }
        if let active = try await keys.activeSigningKey() {
            try await vault.ensureUnsealed(active)
            return active
        }
        guard try await keys.signingKeys().isEmpty else {
            throw LicenseError(
                .unavailable, "no signing key is active; an admin must run `tmwsctl signing-key rotate` (or `create`) before tokens can be checked out")
        }
        let new = try vault.newKey(random: context.random)
        do {
            let added = try await keys.addSigningKey(new, retiringActive: false) { _ in
                NewAuditEvent(
                    eventType: .signingKeyCreated, userID: principal.agentID, details: ["kid": new.kid, "reason": "first checkout"])
            }.added
            try await vault.ensureUnsealed(added)
            return added
        } catch let error as StorageError where error.code == .conflict {
            // Another server created the first key at the same moment: use it.
            guard let active = try await keys.activeSigningKey() else { throw error }
            try await vault.ensureUnsealed(active)
            return active
        }
    }

    static func checkTokenText(_ text: String?, name: String) throws(LicenseError) {
        guard let text else { return }
        guard !text.isEmpty, text.utf8.count <= tokenTextBytes, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
            throw LicenseError(.invalidArgument, "\(name) must be 1 to \(tokenTextBytes) bytes of printable ASCII")
        }
    }
}

/// What a checkout gives: the validation's verdict and, for a VALID key only, the signed token.
public struct LicenseCheckout: Sendable, Hashable, CustomStringConvertible {
    /// The verdict, as ``LicenseService/validateLicenseKey(as:key:featureAccessed:)`` gives it.
    public let validation: ValidationResult
    /// The license token (JWS compact serialization); `nil` unless the key was VALID.
    public let token: String?
    /// The id of the key that signed it.
    public let keyID: String?
    /// When the token expires.
    public let expiresAt: Date?

    /// Never contains the token.
    public var description: String {
        "checkout \(validation.code.rawValue)" + (keyID.map { " (kid \($0))" } ?? "")
    }
}
