import Foundation
import FuzzSupport
@_spi(TokenJSON) import TMWSLicenseVerifier

// Feeds arbitrary bytes, as a token's decoded header or claims, to the verifier's own JSON reader
// (`TokenHeader(json:)`, `LicenseTokenClaims(json:)`) and compares it with Foundation's
// `JSONDecoder` (a differential check: the reader replaced `JSONDecoder` for speed).
//
// Invariants:
// - nothing crashes or hangs, whatever the bytes;
// - claims the reader accepts, `JSONDecoder` reads as the same claims (the reader may refuse more:
//   duplicate names, lone surrogates, nesting beyond 32);
// - the claims' own JSON (`json()`, what the signer writes) is read back to the same claims by the
//   reader and by `JSONDecoder`, and is the bytes `JSONEncoder` writes;
// - a header the reader accepts has the `alg`, `kid`, `typ` and `crit` that `JSONDecoder` reads.

/// The header as `JSONDecoder` reads it, for the comparison.
private struct FoundationHeader: Decodable {
    var alg: String?
    var kid: String?
    var typ: String?
    var hasCrit: Bool

    enum CodingKeys: String, CodingKey { case alg, kid, typ, crit }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alg = try c.decodeIfPresent(String.self, forKey: .alg)
        kid = try c.decodeIfPresent(String.self, forKey: .kid)
        typ = try c.decodeIfPresent(String.self, forKey: .typ)
        hasCrit = c.contains(.crit)
    }
}

private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    if let claims = LicenseTokenClaims(json: bytes) {
        let foundation = try? JSONDecoder().decode(LicenseTokenClaims.self, from: Data(bytes))
        fuzzCheck(foundation == claims, "the reader accepted claims that JSONDecoder reads otherwise (\(foundation == nil ? "refuses" : "differs"))")
        let written = claims.json()
        fuzzCheck(LicenseTokenClaims(json: written) == claims, "the claims' own JSON reads back otherwise")
        fuzzCheck((try? JSONDecoder().decode(LicenseTokenClaims.self, from: Data(written))) == claims, "JSONDecoder reads the claims' JSON otherwise")
        fuzzCheck((try? encoder.encode(claims)).map(Array.init) == written, "the claims' JSON is not what JSONEncoder writes")
    }
    if let header = TokenHeader(json: bytes) {
        let foundation = try? JSONDecoder().decode(FoundationHeader.self, from: Data(bytes))
        fuzzCheck(foundation != nil, "the reader accepted a header that JSONDecoder refuses")
        if let foundation {
            fuzzCheck(
                foundation.alg == header.alg && foundation.kid == header.kid && foundation.typ == header.typ && foundation.hasCrit == header.hasCrit,
                "the reader read a header otherwise than JSONDecoder")
        }
    }
    return 0
}

@main
enum FuzzTokenJSONMain {
    static func main() {
        exit(runLibFuzzer(fuzzTokenJSON))
    }
}
