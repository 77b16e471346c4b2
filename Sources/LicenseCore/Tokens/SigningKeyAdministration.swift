import Foundation
import TMWSLicenseVerifier
import TMWSRBAC
import TMWSStorage

/// The license-token signing keys of a deployment: list, create, rotate, retire, remove, and the
/// public key set apps verify with.
///
/// Changes need `license:admin` (admins), are audited (`signing_key_created`, `signing_key_rotated`,
/// `signing_key_retired`, `signing_key_removed`, each beside its permission check) and reach every
/// server sharing the database at once: checkout reads the active key from storage on every call.
/// Exactly one key is active (signs new tokens); retired keys stay in the key set, so tokens they
/// signed keep verifying until an admin removes them. Private keys are sealed with AES-256-GCM
/// under a key derived from the deployment's signing secret (HKDF-SHA256) and appear in no result,
/// log or error.
public struct SigningKeyAdministration: ContextService {
    let context: ServiceContext
    let vault: SigningKeyVault

    init(context: ServiceContext, vault: SigningKeyVault) {
        self.context = context
        self.vault = vault
    }

    /// The signing keys of a store, sealed under `secret` (the deployment's signing secret, the
    /// one its ``LicenseService`` signs keys with).
    public init(context: ServiceContext, secret: SigningSecret) {
        self.init(context: context, vault: SigningKeyVault(secret: secret))
    }

    var keyStore: any SigningKeyStore {
        get throws(LicenseError) {
            guard let keys = store as? any SigningKeyStore else {
                throw LicenseError(.unavailable, "this store keeps no signing keys (offline license tokens need SQLite, PostgreSQL or the in-memory store)")
            }
            return keys
        }
    }

    /// Every key, newest first (admin).
    public func keys(as principal: Principal) async throws(LicenseError) -> [SigningKeyInfo] {
        try await run("signing-key list") {
            _ = try await authorizer.require(.licenseAdmin, for: principal)
            return try await keyStore.signingKeys().map(SigningKeyInfo.init)
        }
    }

    /// Creates the first active key (admin). Refused while a key is active: rotate instead.
    public func create(as principal: Principal) async throws(LicenseError) -> SigningKeyInfo {
        try await run("signing-key create") {
            let agent = try await authorizer.require(.licenseAdmin, for: principal)
            let key = try vault.newKey(random: context.random)
            do {
                let result = try await keyStore.addSigningKey(key, retiringActive: false) { _ in
                    NewAuditEvent(eventType: .signingKeyCreated, userID: agent.id, details: ["kid": key.kid])
                }
                return SigningKeyInfo(result.added)
            } catch let error as StorageError where error.code == .conflict {
                throw LicenseError(.invalidArgument, "\(error.message) (`tmwsctl signing-key rotate`)")
            }
        }
    }

    /// Makes a new key the active one and retires the one it replaces (admin). With no active key,
    /// the new key simply becomes active.
    /// - Returns: the new key and the key retired, if any.
    public func rotate(as principal: Principal) async throws(LicenseError) -> (added: SigningKeyInfo, retired: SigningKeyInfo?) {
        try await run("signing-key rotate") {
            let agent = try await authorizer.require(.licenseAdmin, for: principal)
            let key = try vault.newKey(random: context.random)
            let result = try await keyStore.addSigningKey(key, retiringActive: true) { retired in
                NewAuditEvent(
                    eventType: retired == nil ? .signingKeyCreated : .signingKeyRotated, userID: agent.id,
                    details: ["kid": key.kid, "retired_kid": retired?.kid ?? ""])
            }
            return (SigningKeyInfo(result.added), result.retired.map(SigningKeyInfo.init))
        }
    }

    /// Retires a key (admin): it signs no more and keeps verifying. Retiring the active key leaves
    /// the deployment without one until the next `create` or `rotate`; checkouts fail meanwhile.
    public func retire(as principal: Principal, kid: String) async throws(LicenseError) -> SigningKeyInfo {
        try await run("signing-key retire") {
            let agent = try await authorizer.require(.licenseAdmin, for: principal)
            try Self.checkKid(kid)
            let key = try await keyStore.retireSigningKey(
                kid: kid, audit: NewAuditEvent(eventType: .signingKeyRetired, severity: .warning, userID: agent.id, details: ["kid": kid]))
            return SigningKeyInfo(key)
        }
    }

    /// Removes a retired key (admin): tokens it signed become `UNKNOWN_KEY` once apps reload the key set.
    public func remove(as principal: Principal, kid: String) async throws(LicenseError) -> SigningKeyInfo {
        try await run("signing-key remove") {
            let agent = try await authorizer.require(.licenseAdmin, for: principal)
            try Self.checkKid(kid)
            do {
                let key = try await keyStore.removeSigningKey(
                    kid: kid, audit: NewAuditEvent(eventType: .signingKeyRemoved, severity: .warning, userID: agent.id, details: ["kid": kid]))
                return SigningKeyInfo(key)
            } catch let error as StorageError where error.code == .conflict {
                throw LicenseError(.invalidArgument, error.message)
            }
        }
    }

    /// The public keys of every stored key, active and retired: what `/.well-known/jwks.json`
    /// serves. Public; needs no agent.
    public func publicKeySet() async throws(LicenseError) -> PublicKeySet {
        try await run("jwks") {
            PublicKeySet(
                keys: try await keyStore.signingKeys().compactMap { key in
                    guard let bytes = Base64URL.decode(key.publicKey), bytes.count == 32 else { return nil }
                    return PublicKeySet.Key(kid: key.kid, publicKey: Array(bytes))
                })
        }
    }

    static func checkKid(_ kid: String) throws(LicenseError) {
        guard !kid.isEmpty, kid.utf8.count <= 64, kid.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw LicenseError(.invalidArgument, "a key id is 1 to 64 printable ASCII characters")
        }
    }
}

/// A signing key as administrators see it: never its private half.
public struct SigningKeyInfo: Sendable, Hashable {
    public let kid: String
    public let status: SigningKeyStatus
    public let createdAt: Date
    public let retiredAt: Date?
    /// The public key, base64url (the JWK's `x`).
    public let publicKey: String

    init(_ key: SigningKey) {
        kid = key.kid
        status = key.status
        createdAt = key.createdAt
        retiredAt = key.retiredAt
        publicKey = key.publicKey
    }
}
