import Crypto
import ExtrasBase64
import Foundation
import JWTKit
import Synchronization
@_spi(TokenJSON) import TMWSLicenseVerifier
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
    /// For each unsealed key: jwt-kit's EdDSA algorithm over it and the token header's base64url
    /// (fixed per key), so that signing is a plain call with no actor hop.
    private let signers: Mutex<[String: Signer]>

    struct Signer: Sendable {
        let algorithm: any JWTAlgorithm
        /// `BASE64URL(header)`, as bytes.
        let encodedHeader: [UInt8]
    }

    init(secret: SigningSecret) {
        sealingKey = secret.key
        signers = Mutex([:])
    }

    static let sealPrefix = "v1."

    /// A new key pair from `random`, sealed: what the store keeps.
    func newKey(random: any SecureRandom) throws -> NewSigningKey {
        let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: random.bytes(32))
        let publicKey = Array(privateKey.publicKey.rawRepresentation)
        let kid = PublicKeySet.Key.thumbprint(publicKey: publicKey) { Array(SHA256.hash(data: $0)) }
        let box = try AES.GCM.seal(privateKey.rawRepresentation, using: derivedKey(kid: kid), authenticating: Array(kid.utf8))
        guard let combined = box.combined else { throw LicenseError(.internalError, "AES-GCM gave no combined form") }
        return NewSigningKey(kid: kid, publicKey: Base64URL.encode(publicKey), sealedPrivateKey: Self.sealPrefix + Base64URL.encode(combined))
    }

    /// Signs `claims` with a stored key, unsealing it on first use: the JWS compact serialization
    /// `BASE64URL(header).BASE64URL(claims).BASE64URL(signature)`, the claims' JSON written by
    /// `LicenseTokenClaims.json()` (the bytes `JSONEncoder` would write, in a tenth of its time),
    /// the signature made by jwt-kit's EdDSA algorithm.
    /// - Throws: `internalError` when the key cannot be unsealed (sealed under another secret, or changed).
    func sign(_ claims: LicenseTokenClaims, with key: SigningKey) async throws -> String {
        let signer = try await ensureUnsealed(key)
        // Built as bytes: the signing input once, the token as the input and its signature.
        var token = signer.encodedHeader
        token.reserveCapacity(token.count + 1 + 440 + 1 + 86)
        token.append(0x2e)
        token.append(contentsOf: Base64.encodeToBytes(bytes: claims.json(), options: Self.base64URL))
        let signature = try signer.algorithm.sign(token)
        token.append(0x2e)
        token.append(contentsOf: Base64.encodeToBytes(bytes: signature, options: Self.base64URL))
        return String(decoding: token, as: UTF8.self)
    }

    private static let base64URL: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Unseals a stored key (once per kid), so that signing with it cannot fail afterwards.
    /// - Throws: `internalError` when the key cannot be unsealed (sealed under another secret, or changed).
    @discardableResult
    func ensureUnsealed(_ key: SigningKey) async throws -> Signer {
        if let signer = signers.withLock({ $0[key.kid] }) { return signer }
        let privateKey = try unseal(key)
        let keys = JWTKeyCollection()
        let kid = JWKIdentifier(string: key.kid)
        await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: kid)
        var header = JWTHeader()
        header.alg = LicenseTokenClaims.algorithm
        header.kid = key.kid
        header.typ = LicenseTokenClaims.type
        let signer = Signer(
            algorithm: try await keys.getKey(for: kid, alg: LicenseTokenClaims.algorithm),
            encodedHeader: Array(Base64URL.encode(try Self.encoder.encode(header)).utf8))
        return signers.withLock { cache in
            if let existing = cache[key.kid] { return existing }
            cache[key.kid] = signer
            return signer
        }
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
