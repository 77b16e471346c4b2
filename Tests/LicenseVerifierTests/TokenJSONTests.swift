import Foundation
@_spi(TokenJSON) import TMWSLicenseVerifier
import Testing

/// The token JSON reader and writer (`TokenJSON`) against Foundation's coders: whatever the reader
/// accepts, `JSONDecoder` reads the same; what the writer writes is what `JSONEncoder` writes.
@Suite struct TokenJSONTests {
    static let sub = "550e8400-e29b-41d4-a716-446655440000"
    let base = #""iss":"tmws","sub":"\#(sub)","iat":1796000000,"nbf":1796000000,"exp":1796604800,"jti":"j-1","tier":"PRO","namespace":"acme""#

    /// A payload of the base claims with `extra` members after them.
    func payload(_ extra: String = "") -> String { "{" + base + (extra.isEmpty ? "" : "," + extra) + "}" }

    static func foundation(_ text: String) -> LicenseTokenClaims? {
        try? JSONDecoder().decode(LicenseTokenClaims.self, from: Data(text.utf8))
    }

    static func ours(_ text: String) -> LicenseTokenClaims? { LicenseTokenClaims(json: Array(text.utf8)) }

    @Test func whatBothReadTheyReadAlike() throws {
        let accepted = [
            payload(),
            " \n\t{ " + base.replacingOccurrences(of: ",", with: " ,\r\n ").replacingOccurrences(of: ":", with: " : ") + " } \n",
            payload(#""aud":"desktop","fingerprint":"machine-7f3a","license_exp":1827536000"#),
            payload(#""aud":["desktop"]"#),
            payload(#""aud":[]"#),
            payload(#""aud":null,"fingerprint":null"#),
            payload(#""other":{"a":[1,2,{"b":null}],"c":true},"list":[1,"x",false],"n":-0.5e-3,"t":true,"f":false,"z":null"#),
            payload(#""license_exp":1827536000.75"#),
            payload(#""license_exp":-0"#),
            payload(#""license_exp":1.8e9"#),
            payload(#""license_exp":18E+8"#),
            payload(#""license_exp":-1796000000"#),
            payload(#""license_exp":9007199254740991"#),
            payload(#""fingerprint":"caf\u00e9 \ud83d\ude00 \/ \"q\" \\ \b\f\n\r\t \u0000""#),
            payload(#""fingerprint":"café 😀""#),
            "{" + base.replacingOccurrences(of: #""tier":"PRO""#, with: #""tier":"P\u0052O""#) + "}",
        ]
        for text in accepted {
            let ours = Self.ours(text)
            #expect(ours != nil, "refused: \(text)")
            #expect(ours == Self.foundation(text), "read differently: \(text)")
        }
        #expect(Self.ours(payload(#""license_exp":1827536000.75"#))?.licenseExpiresAt == 1_827_536_000)
        #expect(Self.ours(payload(#""aud":["desktop"]"#))?.audience == "desktop")
        #expect(Self.ours(payload(#""fingerprint":"caf\u00e9 \ud83d\ude00""#))?.fingerprint == "café 😀")
    }

    @Test func whatIsNotOneValidObjectIsRefused() {
        let refused = [
            // Not the claims.
            "", "{}", "[]", "null", #"{"iss":"tmws"}"#, payload().replacingOccurrences(of: #""jti":"j-1","#, with: ""),
            payload(#""aud":["a","b"]"#), payload(#""aud":5"#), payload(#""aud":[5]"#), payload(#""fingerprint":7"#),
            payload(#""license_exp":null"#), payload(#""license_exp":"1"#), payload(#""license_exp":1e400"#),
            payload(#""license_exp":9007199254740993"#), payload().replacingOccurrences(of: #""PRO""#, with: "null"),
            // Not JSON.
            payload() + "x", payload() + payload(), String(payload().dropLast()), "{" + base + ",}",
            payload(#""n":01"#), payload(#""n":1."#), payload(#""n":.5"#), payload(#""n":+1"#), payload(#""n":-"#), payload(#""n":1e"#),
            payload(#""n":NaN"#), payload(#""n":Infinity"#), payload(#""n":tru"#), payload(#""n":nul"#), payload("'n':1"),
            payload(#""n":"\x""#), payload(#""n":"\u12""#), payload(#""n":"\u12G4""#), payload("\"n\":\"a\u{01}b\""),
            payload(#""n":[1,]"#), payload(#""n":{"a":1,}"#), payload(#""n":{"a"}"#), payload(#""n":[1 2]"#),
            payload("/* c */ \"n\":1"), payload(#""n":"unterminated"#),
            // Allowed by RFC 8259 parsers, refused here: duplicate names, lone surrogates, deep nesting.
            payload(#""iss":"other""#), payload(#""o":{"a":1,"a":2}"#), payload(#""n":"\ud800""#), payload(#""n":"\udc00x""#),
            payload(#""n":"#) + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
        ]
        for text in refused {
            #expect(Self.ours(text) == nil, "accepted: \(text)")
        }
        // Invalid UTF-8 inside a string.
        var bytes = Array(payload(#""n":"ab""#).utf8)
        bytes[bytes.count - 3] = 0xff
        #expect(LicenseTokenClaims(json: bytes) == nil)
    }

    @Test func headersAreReadAsTheVerifierNeedsThem() {
        let header = TokenHeader(json: Array(#"{"alg":"EdDSA","kid":"k1","typ":"tmws-license+jwt","x5u":{"a":[1]}}"#.utf8))
        #expect(header == TokenHeader(json: Array(#" { "typ" : "tmws-license+jwt" , "kid":"k1","alg":"EdDSA","x5u":{"a":[1]} } "#.utf8)))
        #expect(header?.alg == "EdDSA" && header?.kid == "k1" && header?.typ == "tmws-license+jwt" && header?.hasCrit == false)
        #expect(TokenHeader(json: Array(#"{"alg":"EdDSA","crit":null}"#.utf8))?.hasCrit == true)
        #expect(TokenHeader(json: Array(#"{"alg":null}"#.utf8))?.alg == nil)
        for refused in [#"{"alg":5}"#, #"{"kid":["k"]}"#, #"{"typ":{}}"#, #"{"alg":"EdDSA","alg":"none"}"#, #"["alg"]"#, ""] {
            #expect(TokenHeader(json: Array(refused.utf8)) == nil, "accepted: \(refused)")
        }
    }

    @Test func theWriterWritesWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let texts = ["desktop", "a/b", #"quote " and \ backslash"#, "tab\tnew\nline\r\u{08}\u{0c}", "nul\u{00}bell\u{07}esc\u{1b}del\u{7f}", "café 😀 日本"]
        for text in texts {
            for claims in [
                LicenseTokenClaims(
                    issuer: text, subject: Self.sub, audience: text, issuedAt: 1_796_000_000, notBefore: 1_796_000_000, expiresAt: 1_796_604_800,
                    tokenID: "j", tier: "PRO", namespace: text, licenseExpiresAt: -1_827_536_000, fingerprint: text),
                LicenseTokenClaims(
                    issuer: "tmws", subject: Self.sub, issuedAt: 0, notBefore: -1, expiresAt: Int64(9_007_199_254_740_991), tokenID: text, tier: text,
                    namespace: ""),
            ] {
                let ours = claims.json()
                #expect(ours == Array(try encoder.encode(claims)), "\(String(decoding: ours, as: UTF8.self))")
                #expect(try JSONDecoder().decode(LicenseTokenClaims.self, from: Data(ours)) == claims)
                #expect(LicenseTokenClaims(json: ours) == claims)
            }
        }
    }
}
