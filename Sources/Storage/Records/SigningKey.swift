import Foundation

/// An Ed25519 key that signs license tokens (`tmws_signing_keys`, extension track).
///
/// Storage keeps the private half only as `sealedPrivateKey`, an opaque text the license core
/// sealed before handing it over; no backend can read the key.
public struct SigningKey: Sendable, Hashable {
    /// The key id: the RFC 7638 thumbprint of the public key.
    public var kid: String
    /// The 32-byte public key, base64url.
    public var publicKey: String
    /// The private key, sealed (never plaintext).
    public var sealedPrivateKey: String
    public var status: SigningKeyStatus
    public var createdAt: Date
    public var retiredAt: Date?

    public init(
        kid: String, publicKey: String, sealedPrivateKey: String, status: SigningKeyStatus, createdAt: Date, retiredAt: Date? = nil
    ) {
        self.kid = kid
        self.publicKey = publicKey
        self.sealedPrivateKey = sealedPrivateKey
        self.status = status
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

/// `active`: the one key that signs new tokens; `retired`: verifies tokens it signed, signs no more.
public enum SigningKeyStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case active
    case retired
}

/// A key to add; the store sets its status and creation time.
public struct NewSigningKey: Sendable, Hashable {
    public var kid: String
    public var publicKey: String
    public var sealedPrivateKey: String

    public init(kid: String, publicKey: String, sealedPrivateKey: String) {
        self.kid = kid
        self.publicKey = publicKey
        self.sealedPrivateKey = sealedPrivateKey
    }
}

/// The store of license-token signing keys: at most one active key, retired keys kept until
/// removed. Every change is atomic with the audit row it is given. The SQLite, PostgreSQL and
/// in-memory backends implement it.
public protocol SigningKeyStore: Sendable {
    /// Every key, newest first.
    func signingKeys() async throws -> [SigningKey]

    /// The active key, or `nil` when none is.
    func activeSigningKey() async throws -> SigningKey?

    /// Adds `key` as the active key. When `retiringActive` is true, the active key (if any) is
    /// retired in the same transaction (a rotation); when it is false and a key is active, nothing
    /// changes and `conflict` is thrown. `audit` gets the key retired, if any, and its event is
    /// written in the same transaction.
    /// - Returns: the key added and the key retired.
    /// - Throws: `conflict` (an active key exists, or the kid is taken; of two rotations racing, one
    ///   wins and the other throws `conflict`), `schemaMismatch`, `unavailable`.
    func addSigningKey(
        _ key: NewSigningKey, retiringActive: Bool, audit: @escaping @Sendable (_ retired: SigningKey?) -> NewAuditEvent?
    ) async throws -> (added: SigningKey, retired: SigningKey?)

    /// Retires a key: it signs no more and keeps verifying. Retiring a retired key changes nothing
    /// (and writes no audit row).
    /// - Throws: `notFound` for an unknown kid.
    func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey

    /// Removes a retired key: tokens it signed stop verifying.
    /// - Throws: `notFound` for an unknown kid; `conflict` for the active key (retire it first).
    func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey

    /// A checkout's storage step: the API key resolved, the active signing key read and — only when
    /// one is active — the validation recorded exactly as `LicenseStore.recordAuthenticatedValidation`
    /// records it, in one transaction where the backend allows it (SQLite). A store that is also a
    /// `Store` gets a form in separate steps.
    func recordCheckout<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (_ agent: Agent?, _ now: Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (_ license: License?, _ now: Date) -> ValidationDecision
    ) async throws -> CheckoutStep<Check>
}

/// What a checkout's storage step found (``SigningKeyStore/recordCheckout(apiKeyHash:licenseID:featureAccessed:authorize:decide:)``).
public enum CheckoutStep<Check: Sendable>: Sendable {
    /// The API key resolves to no active agent: nothing was written.
    case unauthenticated
    /// No signing key is active: nothing was written.
    case noActiveKey(ResolvedAPIKey)
    /// The validation was recorded as `recordAuthenticatedValidation` records it, and the active key
    /// was read in the same step.
    case recorded(AuthenticatedValidation<Check>, signingKey: SigningKey)
}

extension SigningKeyStore where Self: Store {
    /// The checkout step in up to three storage steps (resolve the API key, read the active key,
    /// record the validation), for backends without a single-transaction form.
    public func recordCheckout<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (_ agent: Agent?, _ now: Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (_ license: License?, _ now: Date) -> ValidationDecision
    ) async throws -> CheckoutStep<Check> {
        guard let key = try await resolveAPIKey(hash: apiKeyHash), key.agent.status == .active else { return .unauthenticated }
        guard let signingKey = try await activeSigningKey() else { return .noActiveKey(key) }
        let (check, recorded) = try await recordValidation(
            licenseID: licenseID, agentID: key.agent.id, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
        return .recorded(AuthenticatedValidation(key: key, check: check, recorded: recorded), signingKey: signingKey)
    }
}
