import Foundation
import Logging
import TMWSRBAC
import TMWSStorage

/// The license operations: generate, validate, revoke, list, usage history and info.
///
/// Every operation takes the authenticated `Principal` and checks its permission
/// through the `Authorizer` first (one audited permission check per call). Time comes
/// from the injected clock, ids from the injected random source. Every failure is a
/// ``LicenseError``; a storage failure is never turned into a favourable answer. Agents and API
/// keys are ``AgentAdministration``'s; the audit log and the monitoring report are ``AuditService``'s.
///
/// ```swift
/// let service = LicenseService(store: store, signer: LicenseSigner(secret: secret))
/// let generated = try await service.generateLicenseKey(as: editor, tier: .pro, expiresDays: 365)
/// let result = try await service.validateLicenseKey(as: viewer, key: generated.key)
/// // result.valid == true, result.code == .valid
/// ```
public struct LicenseService: ContextService {
    let context: ServiceContext
    let signer: LicenseSigner
    let expiryHints = ExpiryHints()
    /// Seals token-signing keys and signs license tokens (``checkoutLicense(as:key:ttl:audience:fingerprint:)``).
    let vault: SigningKeyVault
    /// The `iss` of the license tokens this deployment signs.
    public let tokenIssuer: String

    public var store: any Store { context.store }
    public var authorizer: Authorizer { context.authorizer }
    var logger: Logger { context.logger }

    /// The license operations over a shared context.
    /// - Parameters:
    ///   - context: the store, authorizer, clock and random source shared with the other services.
    ///   - signer: signs and verifies keys with the deployment's secret.
    /// - Parameters:
    ///   - tokenIssuer: the `iss` of license tokens (default `tmws`).
    public init(context: ServiceContext, signer: LicenseSigner, tokenIssuer: String = LicenseService.defaultTokenIssuer) {
        self.init(context: context, signer: signer, vault: SigningKeyVault(secret: signer.secret), tokenIssuer: tokenIssuer)
    }

    init(context: ServiceContext, signer: LicenseSigner, vault: SigningKeyVault, tokenIssuer: String) {
        self.context = context
        self.signer = signer
        self.vault = vault
        self.tokenIssuer = tokenIssuer
    }

    /// The issuer license tokens name unless the deployment is configured otherwise.
    public static let defaultTokenIssuer = "tmws"

    /// The license operations over a context of their own (see ``ServiceContext/init(store:clock:random:logger:)``).
    public init(
        store: any Store, signer: LicenseSigner, clock: @escaping @Sendable () -> Date = { Date() },
        random: any SecureRandom = SystemSecureRandom(), logger: Logger = Logger(label: "tmws.license")
    ) {
        self.init(context: ServiceContext(store: store, clock: clock, random: random, logger: logger), signer: signer)
    }

    // MARK: Generate

    /// Generates a license owned by the caller, in the caller's namespace (`license:generate`:
    /// editor or admin). Writes the audit event `license_generated`. It does not change any agent's
    /// tier: that is ``AgentAdministration/setAgentTier(as:agentNamed:to:)``, for admins only.
    /// - Parameters:
    ///   - principal: the caller.
    ///   - tier: the license's tier, signed into the key.
    ///   - expiresDays: 30…3650, or `nil` for a perpetual license.
    ///   - metadata: up to 32 entries (keys ≤ 64 bytes, values ≤ 1024 bytes), stored with the license.
    /// - Throws: `permissionDenied`, `invalidArgument`, `unavailable`.
    public func generateLicenseKey(
        as principal: Principal, tier: LicenseTier, expiresDays: Int? = nil, metadata: [String: String] = [:]
    ) async throws(LicenseError) -> GeneratedLicense {
        try await run("generate") {
            let agent = try await authorizer.require(.licenseGenerate, for: principal) {
                Resource(ownerID: $0.id, namespace: $0.namespace)
            }
            if let expiresDays, !ServiceLimits.expiresDays.contains(expiresDays) {
                throw LicenseError(.invalidArgument, "expires_days must be between 30 and 3650 (or omitted for a perpetual license)")
            }
            try Self.checkMetadata(metadata)
            let issuedAt = Timestamp.truncated(clock())
            // Whole seconds: the checksum signs the expiry's Unix time in seconds.
            let expiresAt = expiresDays.map {
                Date(timeIntervalSince1970: (issuedAt.timeIntervalSince1970 + Double($0) * 86_400).rounded(.down))
            }
            let id = UUID.random(using: context.random)
            let key = signer.key(tier: tier, id: id, expiresAt: expiresAt).text
            let license = try await store.insertLicense(
                NewLicense(
                    id: id, ownerID: agent.id, namespace: agent.namespace, tier: tier.rawValue,
                    keyHash: LicenseSigner.hash(key), issuedAt: issuedAt, expiresAt: expiresAt, metadata: metadata),
                audit: NewAuditEvent(
                    eventType: .licenseGenerated, userID: agent.id,
                    details: [
                        "license_id": id.canonicalText, "tier": tier.rawValue, "namespace": agent.namespace,
                        "expires_at": expiresAt.map { Timestamp.iso8601($0) } ?? "PERPETUAL",
                    ]))
            logger.debug("license generated", metadata: ["license_id": "\(id.canonicalText)", "tier": "\(tier)"])
            return GeneratedLicense(key: key, license: license)
        }
    }

    // MARK: Validate

    /// Validates a key (`license:validate`: every role) and records the attempt: the permission
    /// check (with its audit row), the verdict and one usage row are one storage transaction, so the
    /// verdict is based on the license state it records against.
    /// - Parameters:
    ///   - principal: the caller.
    ///   - key: the key text as presented; spaces, tabs and line breaks around it are ignored
    ///     (``LicenseKey/presented(_:)``).
    ///   - featureAccessed: what the caller is about to use (≤ 256 bytes), recorded with the attempt.
    /// - Returns: the verdict. A malformed, unknown, forged, expired or revoked key is a result, not an error.
    /// - Throws: `permissionDenied`, `invalidArgument` (feature too long, or with a NUL character, which
    ///   SQLite text would silently cut off), `unavailable` — never a valid result on failure.
    public func validateLicenseKey(
        as principal: Principal, key: String, featureAccessed: String? = nil
    ) async throws(LicenseError) -> ValidationResult {
        try await run("validate") { try await validate(as: principal, key: key, featureAccessed: featureAccessed).result }
    }

    /// The validation both ``validateLicenseKey(as:key:featureAccessed:)`` and checkout run: the
    /// verdict, and the license it was decided on (when the key named one).
    func validate(as principal: Principal, key: String, featureAccessed: String?) async throws -> (result: ValidationResult, license: License?) {
        if let problem = Self.featureProblem(featureAccessed) { throw problem }
        let key = LicenseKey.presented(key)
        let parsed = LicenseKey(parsing: key)
        let attempt: (check: Authorizer.Check, recorded: RecordedValidation?)
        do {
            attempt = try await store.recordValidation(
                licenseID: parsed?.id, agentID: principal.agentID, featureAccessed: featureAccessed,
                authorize: authorizer.step(.licenseValidate, for: principal), decide: verdict(for: parsed, key: key))
        } catch {
            throw await authorizer.failure(.licenseValidate, for: principal, underlying: error)
        }
        return (try validationResult(attempt.check, attempt.recorded), attempt.recorded?.license)
    }

    /// Why `feature_accessed` cannot be recorded, if it cannot.
    static func featureProblem(_ featureAccessed: String?) -> LicenseError? {
        guard let featureAccessed else { return nil }
        if featureAccessed.utf8.count > ServiceLimits.featureBytes {
            return LicenseError(.invalidArgument, "feature_accessed is longer than \(ServiceLimits.featureBytes) bytes")
        }
        if featureAccessed.utf8.contains(0) {
            return LicenseError(.invalidArgument, "feature_accessed must not contain a NUL character")
        }
        return nil
    }

    /// The pure verdict a validation applies inside its storage step. The key's hash, and its
    /// checksum against the expiry its license had when last validated (``ExpiryHints``), are
    /// computed here, before the step.
    func verdict(for parsed: LicenseKey?, key: String) -> @Sendable (License?, Date) -> ValidationDecision {
        guard let parsed else { return { _, _ in .invalid(VerdictCode.malformed.rawValue) } }
        let keyHash = LicenseSigner.hash(key)
        let signer = self.signer
        let checked = expiryHints.expiry(of: parsed.id).map { (expiresAt: $0, matches: signer.verify(parsed, expiresAt: $0)) }
        return { license, now in
            let code = Verdict.decide(key: parsed, keyHash: keyHash, license: license, now: now) { expiresAt in
                if let checked, checked.expiresAt == expiresAt { return checked.matches }
                return signer.verify(parsed, expiresAt: expiresAt)
            }
            return code == .valid ? .valid : .invalid(code.rawValue)
        }
    }

    /// The caller's view of a recorded validation: the verdict, and the license's facts only for
    /// VALID, EXPIRED and REVOKED.
    func validationResult(_ check: Authorizer.Check, _ recorded: RecordedValidation?) throws -> ValidationResult {
        _ = try authorizer.require(.licenseValidate, check)
        guard let recorded else { throw LicenseError(.internalError, "validation was not recorded") }
        if let license = recorded.license { expiryHints.note(license) }
        let code = recorded.decision.valid ? VerdictCode.valid : VerdictCode(rawValue: recorded.decision.failureReason ?? "") ?? .notFound
        let disclosed = [.valid, .expired, .revoked].contains(code) ? recorded.license : nil
        return ValidationResult(
            valid: code == .valid, code: code, tier: disclosed.flatMap { LicenseTier(parsing: $0.tier) },
            licenseID: disclosed?.id, expiresAt: disclosed?.expiresAt, isPerpetual: disclosed.map { $0.expiresAt == nil },
            validatedAt: recorded.usage.validatedAt)
    }

    // MARK: Revoke

    /// Revokes a license (`license:revoke`: admin). Idempotent: a second call reports
    /// `alreadyRevoked` and keeps the first revocation's time and reason. Audit event `license_revoked`.
    /// - Throws: `notFound` for an unknown id; `permissionDenied`; `invalidArgument` (reason > 1024 bytes, or with a
    ///   NUL character, which SQLite text would silently cut off); `unavailable`.
    public func revokeLicenseKey(as principal: Principal, id: UUID, reason: String? = nil) async throws(LicenseError) -> RevocationResult {
        try await run("revoke") {
            let agent = try await authorizer.require(.licenseRevoke, for: principal)
            if let reason, reason.utf8.count > ServiceLimits.reasonBytes {
                throw LicenseError(.invalidArgument, "reason is longer than \(ServiceLimits.reasonBytes) bytes")
            }
            if let reason, reason.utf8.contains(0) {
                throw LicenseError(.invalidArgument, "reason must not contain a NUL character")
            }
            let revocation = try await store.revokeLicense(id: id, reason: reason, revokedBy: agent.id) { revocation in
                NewAuditEvent(
                    eventType: .licenseRevoked, severity: .warning, userID: agent.id,
                    details: [
                        "license_id": id.canonicalText, "reason": revocation.reason ?? "",
                        "already_revoked": revocation.alreadyRevoked ? "true" : "false",
                    ])
            }
            return RevocationResult(
                licenseID: id, revokedAt: revocation.revokedAt, reason: revocation.reason, alreadyRevoked: revocation.alreadyRevoked)
        }
    }

    // MARK: Reads

    /// A license's usage history, newest first (`license:usage:read`: the owner in its namespace, or an admin).
    /// - Parameters:
    ///   - principal: the caller.
    ///   - licenseID: the license.
    ///   - limit: 1…1000.
    ///   - cursor: `nextCursor` of the previous page, or `nil` for the first.
    /// - Throws: `invalidArgument` (limit, cursor); `permissionDenied` (not the owner, another namespace,
    ///   or — for non-admins — no such license); `notFound` (admins, no such license); `unavailable`.
    public func usageHistory(
        as principal: Principal, licenseID: UUID, limit: Int = 100, cursor: String? = nil
    ) async throws(LicenseError) -> Page<UsageRecord> {
        try await run("usage") {
            _ = try await readableLicense(licenseID, permission: .licenseUsageRead, principal: principal)
            try ServiceContext.checkPageSize(limit)
            return try await store.usageHistory(licenseID: licenseID, page: PageRequest(limit: limit, cursor: cursor))
        }
    }

    /// A license's record and derived status (`license:read`: the owner in its namespace, or an admin).
    /// - Throws: as ``usageHistory(as:licenseID:limit:cursor:)``.
    public func licenseInfo(as principal: Principal, id: UUID) async throws(LicenseError) -> LicenseInfo {
        try await run("info") {
            let license = try await readableLicense(id, permission: .licenseRead, principal: principal)
            return LicenseInfo(license: license, status: license.status(at: clock()), isPerpetual: license.expiresAt == nil)
        }
    }

    /// Licenses the caller may see, newest first (`license:read`). Viewers and editors see their own
    /// licenses; asking for another owner or namespace is denied. Admins see any, with any filter.
    /// - Throws: `invalidArgument` (limit 1…1000, cursor), `permissionDenied`, `unavailable`.
    public func listLicenses(
        as principal: Principal, filter: LicenseFilter = LicenseFilter(), limit: Int = 100, cursor: String? = nil
    ) async throws(LicenseError) -> Page<License> {
        try await run("list") {
            let agent = try await authorizer.require(.licenseRead, for: principal) { agent in
                Resource(ownerID: filter.ownerID ?? agent.id, namespace: filter.namespace ?? agent.namespace)
            }
            try ServiceContext.checkPageSize(limit)
            var scoped = filter
            if Role(parsing: agent.role) != .admin {
                scoped.ownerID = agent.id
                scoped.namespace = agent.namespace
            }
            return try await store.licenses(matching: scoped, page: PageRequest(limit: limit, cursor: cursor))
        }
    }

    /// The license, when the caller may read it. A license that is missing and one that is not the
    /// caller's are refused alike (`permissionDenied`, reason `not_visible`, the same message), so
    /// that a refusal does not tell whether the id exists; the audit row keeps the policy's reason.
    /// Only an admin, who may read every license, learns `notFound`.
    func readableLicense(_ id: UUID, permission: Permission, principal: Principal) async throws -> License {
        let license = try await store.license(id: id)
        let resource = license.map { Resource(ownerID: $0.ownerID, namespace: $0.namespace) }
        do {
            try await authorizer.require(permission, for: principal, on: resource)
        } catch {
            let reason = error.reason
            guard reason == .notOwner || reason == .crossNamespace || reason == .resourceRequired else { throw error }
            throw LicenseError(
                .permissionDenied, "\(permission.rawValue) denied: no license with id \(id.canonicalText) is visible to this agent",
                reason: .notVisible)
        }
        guard let license else { throw LicenseError(.notFound, "no license with id \(id.canonicalText)") }
        return license
    }

    static func checkMetadata(_ metadata: [String: String]) throws {
        guard metadata.count <= ServiceLimits.metadataEntries else {
            throw LicenseError(.invalidArgument, "metadata has more than \(ServiceLimits.metadataEntries) entries")
        }
        for (key, value) in metadata {
            guard !key.isEmpty, key.utf8.count <= ServiceLimits.metadataKeyBytes, value.utf8.count <= ServiceLimits.metadataValueBytes else {
                throw LicenseError(
                    .invalidArgument,
                    "metadata keys must be 1–\(ServiceLimits.metadataKeyBytes) bytes and values at most \(ServiceLimits.metadataValueBytes) bytes")
            }
        }
    }
}
