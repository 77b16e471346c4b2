import Crypto
import Foundation
import JWTKit
import TMWSLicenseVerifier
import Testing

/// Every verdict of the offline verifier, each from a token built to earn it, and the attacks it
/// must refuse (key confusion, `alg: none`, swapped keys, truncation, oversized input).
@Suite struct LicenseVerifierTests {
    let now = TokenFactory.now

    func verifier(_ factory: TokenFactory, others: [TokenFactory] = [], clock: (any VerifierClock)? = nil) async throws -> LicenseVerifier {
        try await LicenseVerifier(jwks: TokenFactory.jwks([factory.publicKey] + others.map(\.publicKey)), issuer: "tmws", clock: clock)
    }

    @Test func anAuthenticCurrentTokenIsValidWithItsClaims() async throws {
        let f = await TokenFactory()
        let v = try await verifier(f)
        let token = try await f.sign(TokenFactory.claims(audience: "desktop", fingerprint: "machine-1"))
        let result = v.verify(token, now: now.addingTimeInterval(3600), audience: "desktop", fingerprint: "machine-1")
        #expect(result.code == .valid)
        let license = try #require(result.license)
        #expect(license.licenseID.uuidString.lowercased() == "550e8400-e29b-41d4-a716-446655440000")
        #expect(license.tier == "PRO" && license.namespace == "acme" && license.keyID == f.kid)
        #expect(license.tokenExpiresAt == now.addingTimeInterval(7 * 86_400))
        #expect(license.licenseExpiresAt == now.addingTimeInterval(365 * 86_400))
        // Spaces and a line break around the token are not part of it.
        #expect(v.verify(" \(token)\n", now: now, audience: "desktop", fingerprint: "machine-1").code == .valid)
    }

    @Test func eachClaimEarnsItsCode() async throws {
        let f = await TokenFactory()
        let v = try await verifier(f)
        func code(
            _ claims: LicenseTokenClaims, at time: Date? = nil, audience: String? = nil, fingerprint: String? = nil
        ) async throws
            -> LicenseVerification.Code
        {
            v.verify(try await f.sign(claims), now: time ?? now, audience: audience, fingerprint: fingerprint).code
        }
        #expect(try await code(TokenFactory.claims(issuer: "someone-else")) == .wrongIssuer)
        #expect(try await code(TokenFactory.claims(issuedAt: now.addingTimeInterval(3600))) == .notYetValid)
        #expect(try await code(TokenFactory.claims(issuedAt: now.addingTimeInterval(30))) == .valid, "within the leeway")
        #expect(try await code(TokenFactory.claims(), at: now.addingTimeInterval(7 * 86_400)) == .expired)
        #expect(try await code(TokenFactory.claims(licenseExpiresAt: now.addingTimeInterval(60)), at: now.addingTimeInterval(61)) == .licenseExpired)
        #expect(try await code(TokenFactory.claims(licenseExpiresAt: nil), at: now.addingTimeInterval(86_400)) == .valid, "perpetual")
        #expect(try await code(TokenFactory.claims(audience: "desktop"), audience: "mobile") == .wrongAudience)
        #expect(try await code(TokenFactory.claims(audience: "desktop")) == .wrongAudience, "an audience the caller does not claim")
        #expect(try await code(TokenFactory.claims(), audience: "desktop") == .valid, "a token for anyone")
        #expect(try await code(TokenFactory.claims(fingerprint: "m-1"), fingerprint: "m-2") == .fingerprintMismatch)
        #expect(try await code(TokenFactory.claims(fingerprint: "m-1")) == .fingerprintMismatch)
        #expect(try await code(TokenFactory.claims(), fingerprint: "m-2") == .valid, "a token bound to no machine")
    }

    @Test func aClockTurnedBackIsNoticed() async throws {
        let f = await TokenFactory()
        let clock = InMemoryVerifierClock()
        let v = try await verifier(f, clock: clock)
        let token = try await f.sign()
        #expect(v.verify(token, now: now.addingTimeInterval(6 * 86_400)).code == .valid)
        // Turned back by a day, to before the token's expiry: noticed.
        #expect(v.verify(token, now: now.addingTimeInterval(5 * 86_400)).code == .clockRollback)
        // A few minutes back is within the tolerance.
        #expect(v.verify(token, now: now.addingTimeInterval(6 * 86_400 - 120)).code == .valid)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tmws-clock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/clock"
        let persisted = try await verifier(f, clock: FileVerifierClock(path: path))
        #expect(persisted.verify(token, now: now.addingTimeInterval(6 * 86_400)).code == .valid)
        // After a restart (a new clock read from the file) turning the clock back is still noticed.
        let restarted = try await verifier(f, clock: FileVerifierClock(path: path))
        #expect(restarted.verify(token, now: now.addingTimeInterval(86_400)).code == .clockRollback)
    }

    @Test func keysAndSignaturesAreChecked() async throws {
        let f = await TokenFactory(), other = await TokenFactory(), stranger = await TokenFactory()
        let v = try await verifier(f, others: [other])
        let token = try await f.sign()
        // Signed by a key the set does not hold: its kid is unknown.
        #expect(v.verify(try await stranger.sign(), now: now).code == .unknownKey)
        // The kid swapped to another known key: that key's signature check fails.
        let swapped = try f.raw(
            header: #"{"alg":"EdDSA","typ":"tmws-license+jwt","kid":"\#(other.kid)"}"#, payload: Self.payload(of: token))
        #expect(v.verify(swapped, now: now).code == .badSignature)
        // A changed claim: the signature no longer covers it.
        let parts = token.split(separator: ".").map(String.init)
        let changed = Self.payload(of: token).replacingOccurrences(of: #""tier":"PRO""#, with: #""tier":"ENTERPRISE""#)
        #expect(changed != Self.payload(of: token))
        #expect(v.verify(parts[0] + "." + TokenFactory.b64(Array(changed.utf8)) + "." + parts[2], now: now).code == .badSignature)
        // A signature from another key under this kid.
        let forged = try stranger.raw(header: Self.header(of: token), payload: Self.payload(of: token))
        #expect(v.verify(forged, now: now).code == .badSignature)
    }

    /// The classic attacks: each is refused with its code before any key is used, and none crashes.
    @Test func hostileTokensAreRefused() async throws {
        let f = await TokenFactory()
        let v = try await verifier(f)
        let token = try await f.sign()
        let payload = Self.payload(of: token)
        let parts = token.split(separator: ".").map(String.init)

        // alg: none, with and without a signature.
        let none = TokenFactory.b64(Array(#"{"alg":"none","typ":"tmws-license+jwt","kid":"\#(f.kid)"}"#.utf8)) + "." + parts[1]
        // HS256 signed with the public key's bytes as the HMAC secret (key confusion).
        let hsHeader = TokenFactory.b64(Array(#"{"alg":"HS256","typ":"tmws-license+jwt","kid":"\#(f.kid)"}"#.utf8))
        let hsInput = hsHeader + "." + parts[1]
        let hsMAC = HMAC<SHA256>.authenticationCode(for: Array(hsInput.utf8), using: SymmetricKey(data: f.privateKey.publicKey.rawRepresentation))
        let cases: [(String, String)] = [
            ("alg none, empty signature", none + "."),
            ("alg none, no signature", none),
            ("HS256 with the public key", hsInput + "." + TokenFactory.b64(hsMAC)),
            ("crit header", try f.raw(header: #"{"alg":"EdDSA","typ":"tmws-license+jwt","kid":"\#(f.kid)","crit":["exp"]}"#, payload: payload)),
            ("typ JWT", try f.raw(header: #"{"alg":"EdDSA","typ":"JWT","kid":"\#(f.kid)"}"#, payload: payload)),
            ("no typ", try f.raw(header: #"{"alg":"EdDSA","kid":"\#(f.kid)"}"#, payload: payload)),
            ("no kid", try f.raw(header: #"{"alg":"EdDSA","typ":"tmws-license+jwt"}"#, payload: payload)),
            ("truncated", String(token.dropLast(10))),
            ("extra segment", token + ".AAAA"),
            ("two segments", parts[0] + "." + parts[1]),
            ("1 MiB", String(repeating: "A", count: 1 << 20)),
            ("1 MiB of dots", String(repeating: ".", count: 1 << 20)),
            ("not base64url", parts[0] + "." + parts[1] + "+/" + "." + parts[2]),
            ("padding", parts[0] + "=." + parts[1] + "." + parts[2]),
            ("empty", ""),
            ("non-ASCII", "é.é.é"),
            ("payload not JSON", try f.raw(header: Self.header(of: token), payload: "not json")),
            ("claims missing", try f.raw(header: Self.header(of: token), payload: #"{"iss":"tmws"}"#)),
            ("exp a string", try f.raw(header: Self.header(of: token), payload: payload.replacingOccurrences(of: #""exp":"#, with: #""exp":"x","old":"#))),
            ("sub not a UUID", try f.raw(header: Self.header(of: token), payload: payload.replacingOccurrences(of: "550e8400", with: "zzzzzzzz"))),
            ("sub upper case", try f.raw(header: Self.header(of: token), payload: payload.replacingOccurrences(of: "550e8400-e29b", with: "550E8400-E29B"))),
            ("exp 1e308", try f.raw(header: Self.header(of: token), payload: payload.replacingOccurrences(of: #""exp":"#, with: #""exp":1e308,"old":"#))),
        ]
        for (label, text) in cases {
            #expect(v.verify(text, now: now).code == .malformed, "\(label)")
        }
        #expect(v.verify(token, now: now).code == .valid, "the untouched token still verifies")
    }

    @Test func keySetsAreReadStrictly() async throws {
        let f = await TokenFactory()
        await #expect(throws: LicenseVerifierError.self) { _ = try await LicenseVerifier(jwks: Data("not json".utf8)) }
        await #expect(throws: LicenseVerifierError.self) { _ = try await LicenseVerifier(jwks: Data(#"{"keys":[]}"#.utf8)) }
        // A symmetric key and an RSA key beside ours are skipped, never used.
        let mixed =
            #"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"\#(f.kid)","alg":"HS256"},{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"},"#
            + PublicKeySet(keys: [f.publicKey]).json.dropFirst(#"{"keys":["#.count)
        let set = try PublicKeySet(json: Data(mixed.utf8))
        #expect(set.keys == [f.publicKey])
        let v = try await LicenseVerifier(jwks: Data(mixed.utf8))
        #expect(v.keyIDs == [f.kid])
        #expect(v.verify(try await f.sign(), now: now).code == .valid)
        // The published form: OKP, Ed25519, sig, EdDSA, and the RFC 7638 thumbprint as kid.
        let json = try #require(try JSONSerialization.jsonObject(with: TokenFactory.jwks([f.publicKey])) as? [String: [[String: String]]])
        #expect(json["keys"]?.first == ["kty": "OKP", "crv": "Ed25519", "x": f.publicKey.x, "kid": f.kid, "use": "sig", "alg": "EdDSA"])
    }

    /// RFC 8037 appendix A: the thumbprint of its Ed25519 key.
    @Test func thumbprintsFollowRFC7638() throws {
        let x = try #require(Data(base64Encoded: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="))
        #expect(PublicKeySet.Key.thumbprint(publicKey: Array(x)) { Array(SHA256.hash(data: $0)) } == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    /// Tokens signed by PyJWT (an independent implementation; the fuzz target's seeds, made with
    /// the key whose private half is the bytes 1…32) get the verdicts they were made for.
    @Test func tokensSignedByPyJWTVerify() async throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/seeds/license-token")
        func token(_ name: String) throws -> String { try String(contentsOf: seeds.appendingPathComponent(name), encoding: .utf8) }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: Array(1...32) as [UInt8])
        let bytes = Array(key.publicKey.rawRepresentation)
        let kid = PublicKeySet.Key.thumbprint(publicKey: bytes) { Array(SHA256.hash(data: $0)) }
        let verifier = try await LicenseVerifier(keySet: PublicKeySet(keys: [PublicKeySet.Key(kid: kid, publicKey: bytes)]))
        let now = Date(timeIntervalSince1970: 1_796_652_000)
        let valid = verifier.verify(try token("valid.jwt"), now: now, audience: "desktop", fingerprint: "machine-7f3a")
        #expect(valid.code == .valid && valid.license?.licenseExpiresAt == Date(timeIntervalSince1970: 1_827_619_200))
        #expect(verifier.verify(try token("perpetual.jwt"), now: now).license?.licenseExpiresAt == nil)
        #expect(
            verifier.verify(try token("expired.jwt"), now: now.addingTimeInterval(1), audience: "desktop", fingerprint: "machine-7f3a").code == .expired)
        for name in ["hs256.jwt", "none.jwt", "crit.jwt"] {
            #expect(verifier.verify(try token(name), now: now, audience: "desktop", fingerprint: "machine-7f3a").code == .malformed, "\(name)")
        }
    }

    static func payload(of token: String) -> String { segment(1, of: token) }

    static func header(of token: String) -> String { segment(0, of: token) }

    /// One segment of a token, base64url-decoded, as text.
    static func segment(_ index: Int, of token: String) -> String {
        let part = String(token.split(separator: ".")[index])
        let padded =
            part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            + String(repeating: "=", count: (4 - part.count % 4) % 4)
        return String(decoding: Data(base64Encoded: padded) ?? Data(), as: UTF8.self)
    }
}
