import Crypto
import Foundation
import JWTKit
import Synchronization
import TMWSLicenseVerifier
import TMWSRBAC
import TMWSStorage

/// Seals license-token signing keys for storage and signs tokens with them.
///
/// **Why sealed in the database.** A rotation must reach every server that shares a PostgreSQL
/// database at once, without copying files, so the private keys live in the database — never in
/// plaintext: each is sealed with AES-256-GCM under a key derived from the deployment's signing
/// secret with HKDF-SHA256 (salt `tmws signing-key seal v1`, info: the key's id), and the kid is
/// authenticated with it, so a sealed key cannot be moved to another row. A copy of the database
/// alone (a backup, a replica, a SQL injection elsewhere) reveals no private key; the secret,
/// which every server already needs for HMAC keys, opens them. Unsealed keys are kept in memory
/// only, per kid.
final class SigningKeyVault: Sendable {
    private let sealingKey: SymmetricKey
    /// Unsealed keys by kid, and the collection that signs with them.
    private let unsealed: Mutex<[String: Curve25519.Signing.PrivateKey]>
    private let keys = JWTKeyCollection()

    static let sealPrefix = "v1."

    init(secret: SigningSecret) {
        sealingKey = secret.key
        unsealed = Mutex([:])
    }

    /// A new key pair from `random`, sealed: what the store keeps.
    func newKey(random: any SecureRandom) throws -> NewSigningKey {
        let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: random.bytes(32))
        let publicKey = Array(privateKey.publicKey.rawRepresentation)
        let kid = PublicKeySet.Key.thumbprint(publicKey: publicKey) { Array(SHA256.hash(data: $0)) }
        let box = try AES.GCM.seal(privateKey.rawRepresentation, using: derivedKey(kid: kid), authenticating: Array(kid.utf8))
        guard let combined = box.combined else { throw LicenseError(.internalError, "AES-GCM gave no combined form") }
        return NewSigningKey(kid: kid, publicKey: Base64URL.encode(publicKey), sealedPrivateKey: Self.sealPrefix + Base64URL.encode(combined))
    }

    /// Signs `claims` with a stored key, unsealing it on first use.
    /// - Throws: `internalError` when the key cannot be unsealed (sealed under another secret, or changed).
    func sign(_ claims: LicenseTokenClaims, with key: SigningKey) async throws -> String {
        try await ensureUnsealed(key)
        var header = JWTHeader()
        header.typ = LicenseTokenClaims.type
        header.alg = LicenseTokenClaims.algorithm
        return try await keys.sign(claims, kid: JWKIdentifier(string: key.kid), header: header)
    }

    /// Unseals a stored key (once per kid), so that signing with it cannot fail afterwards.
    /// - Throws: `internalError` when the key cannot be unsealed (sealed under another secret, or changed).
    func ensureUnsealed(_ key: SigningKey) async throws {
        if unsealed.withLock({ $0[key.kid] != nil }) { return }
        let privateKey = try unseal(key)
        let added = unsealed.withLock { cache -> Bool in
            guard cache[key.kid] == nil else { return false }
            cache[key.kid] = privateKey
            return true
        }
        if added { await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid)) }
    }

    func unseal(_ key: SigningKey) throws -> Curve25519.Signing.PrivateKey {
        let failure = LicenseError(
            .internalError,
            "signing key \(key.kid) cannot be unsealed: it was sealed under another signing secret, or its row was changed")
        guard key.sealedPrivateKey.hasPrefix(Self.sealPrefix),
            let combined = Base64URL.decode(String(key.sealedPrivateKey.dropFirst(Self.sealPrefix.count))),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let raw = try? AES.GCM.open(box, using: derivedKey(kid: key.kid), authenticating: Array(key.kid.utf8)),
            let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw),
            Base64URL.encode(privateKey.publicKey.rawRepresentation) == key.publicKey
        else { throw failure }
        return privateKey
    }

    private func derivedKey(kid: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: sealingKey, salt: Array("tmws signing-key seal v1".utf8), info: Array(kid.utf8), outputByteCount: 32)
    }
}
