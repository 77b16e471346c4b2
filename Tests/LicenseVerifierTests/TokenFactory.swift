import Crypto
import Foundation
import JWTKit
import TMWSLicenseVerifier

/// Signs tokens for the tests as a deployment would, and forges the ones an attacker would.
struct TokenFactory {
    let privateKey: Curve25519.Signing.PrivateKey
    let kid: String
    let keys: JWTKeyCollection

    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    init(kid: String? = nil) async {
        privateKey = Curve25519.Signing.PrivateKey()
        let publicKey = Array(privateKey.publicKey.rawRepresentation)
        self.kid = kid ?? PublicKeySet.Key.thumbprint(publicKey: publicKey) { Array(SHA256.hash(data: $0)) }
        keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: self.kid))
    }

    var publicKey: PublicKeySet.Key { PublicKeySet.Key(kid: kid, publicKey: Array(privateKey.publicKey.rawRepresentation)) }

    static func claims(
        issuer: String = "tmws", audience: String? = nil, issuedAt: Date = now, lifetime: TimeInterval = 7 * 86_400,
        licenseExpiresAt: Date? = now.addingTimeInterval(365 * 86_400), fingerprint: String? = nil
    ) -> LicenseTokenClaims {
        let iat = Int64(issuedAt.timeIntervalSince1970)
        return LicenseTokenClaims(
            issuer: issuer, subject: "550e8400-e29b-41d4-a716-446655440000", audience: audience, issuedAt: iat, notBefore: iat,
            expiresAt: iat + Int64(lifetime), tokenID: UUID().uuidString.lowercased(), tier: "PRO", namespace: "acme",
            licenseExpiresAt: licenseExpiresAt.map { Int64($0.timeIntervalSince1970) }, fingerprint: fingerprint)
    }

    /// A token as `checkout_license` signs it (header fields may be overridden to forge).
    func sign(_ claims: LicenseTokenClaims = claims(), header: [String: String] = [:], kid: String? = nil) async throws -> String {
        var fields: JWTHeader = ["typ": .string(LicenseTokenClaims.type), "alg": .string(LicenseTokenClaims.algorithm)]
        for (name, value) in header { fields.fields[name] = .string(value) }
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid ?? self.kid), header: fields)
    }

    /// base64url without padding.
    static func b64(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token with any header and payload JSON, signed by this key over exactly those bytes.
    func raw(header: String, payload: String) throws -> String {
        let input = Self.b64(Array(header.utf8)) + "." + Self.b64(Array(payload.utf8))
        let signature = try privateKey.signature(for: Array(input.utf8))
        return input + "." + Self.b64(signature)
    }

    static func jwks(_ keys: [PublicKeySet.Key]) -> Data { Data(PublicKeySet(keys: keys).json.utf8) }
}
