import ExtrasBase64
import Foundation

/// A JSON Web Key Set (RFC 7517) of Ed25519 public keys (RFC 8037), as a deployment publishes it at
/// `/.well-known/jwks.json` and `tmwsctl signing-key export --jwks` writes it:
///
/// ```json
/// {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
///            "kid": "kD4k…", "use": "sig", "alg": "EdDSA"}]}
/// ```
///
/// Reading one, keys of any other type, curve, use or algorithm are skipped, so a set that also
/// holds RSA or symmetric keys still loads, and no such key can ever verify a license token.
public struct PublicKeySet: Sendable, Hashable, Codable {
    /// One Ed25519 public key.
    public struct Key: Sendable, Hashable, Codable {
        public var kty: String
        public var crv: String
        /// The 32-byte public key, base64url without padding.
        public var x: String
        public var kid: String
        public var use: String
        public var alg: String

        /// An Ed25519 signing key's public half.
        public init(kid: String, publicKey: [UInt8]) {
            kty = "OKP"
            crv = "Ed25519"
            x = Base64URL.encode(publicKey)
            self.kid = kid
            use = "sig"
            alg = LicenseTokenClaims.algorithm
        }

        /// The RFC 7638 thumbprint of an Ed25519 public key: base64url(SHA-256 of
        /// `{"crv":"Ed25519","kty":"OKP","x":"…"}`), the `kid` TMWS gives its keys.
        public static func thumbprint(publicKey: [UInt8], sha256: ([UInt8]) -> [UInt8]) -> String {
            let canonical = #"{"crv":"Ed25519","kty":"OKP","x":""# + Base64URL.encode(publicKey) + #""}"#
            return Base64URL.encode(sha256(Array(canonical.utf8)))
        }
    }

    public var keys: [Key]

    public init(keys: [Key]) { self.keys = keys }

    /// Reads a set, keeping its Ed25519 signature keys.
    /// - Throws: ``LicenseVerifierError`` when the text is not a JWKS.
    public init(json: some DataProtocol) throws(LicenseVerifierError) {
        let loose: LooseKeySet
        do {
            loose = try JSONDecoder().decode(LooseKeySet.self, from: Data(json))
        } catch {
            throw LicenseVerifierError("not a JSON Web Key Set: \(error)")
        }
        keys = loose.keys.compactMap { entry in
            guard entry.kty == "OKP", entry.crv == "Ed25519", entry.use == nil || entry.use == "sig",
                entry.alg == nil || entry.alg == LicenseTokenClaims.algorithm,
                let x = entry.x, let kid = entry.kid, !kid.isEmpty, let bytes = Base64URL.decode(x), bytes.count == 32
            else { return nil }
            return Key(kid: kid, publicKey: bytes)
        }
    }

    /// The set as JSON, keys in order (`{"keys": [...]}`).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(#"{"keys":[]}"#.utf8), as: UTF8.self)
    }
}

/// A key set as read, before its keys are sorted out: every member optional.
private struct LooseKeySet: Decodable {
    struct Entry: Decodable {
        var kty: String?
        var crv: String?
        var x: String?
        var kid: String?
        var use: String?
        var alg: String?
    }
    var keys: [Entry]
}

/// A verifier that cannot be made: the key set is not JSON, or holds no Ed25519 signature key.
public struct LicenseVerifierError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// base64url without padding (RFC 4648 §5), strict: only the 64 URL-safe characters.
enum Base64URL {
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// Decoding is our own, stricter than swift-extras-base64's: padding and non-canonical last
    /// characters are refused, so that one token has exactly one spelling.
    static func decode(_ text: some StringProtocol) -> [UInt8]? { decode(bytes: text.utf8) }

    static func decode(bytes text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var buffer: UInt32 = 0, bits = 0
        for c in text {
            let value: UInt8
            switch c {
            case 0x41...0x5a: value = c - 0x41
            case 0x61...0x7a: value = c - 0x61 + 26
            case 0x30...0x39: value = c - 0x30 + 52
            case 0x2d: value = 62
            case 0x5f: value = 63
            default: return nil
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // A lone 6-bit group cannot end a byte; leftover bits must be zero (canonical form).
        guard bits != 6, buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
