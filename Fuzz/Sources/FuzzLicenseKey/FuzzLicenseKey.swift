import Foundation
import FuzzSupport
import TMWSLicenseCore
import TMWSStorage

// Parses arbitrary bytes as a license key and, when they parse, verifies the checksum with a
// fixed test secret (DESIGN.md's test-vector secret, so that its example keys are valid seeds).
//
// Invariants:
// - parsing never crashes, whatever the bytes;
// - the parser accepts exactly the strings of the documented shape
//   `TMWS-{FREE|PRO|ENTERPRISE}-{lowercase 8-4-4-4-12 uuid}-{16 lowercase hex}` (checked against
//   a separate, deliberately naive reference parser);
// - a parsed key re-renders to exactly the input bytes, and its description never shows the checksum;
// - the verifier accepts a key for an expiry exactly when the signer produces that key for the
//   key's tier, uuid and that expiry.

private let secret = try! SigningSecret(Array("tmws-test-vector-secret-0123456789abcdef".utf8))
private let signer = LicenseSigner(secret: secret)

/// Perpetual, DESIGN.md's two vector expiries, and edges of the decimal encoding of the expiry.
private let expiries: [Date?] = [
    nil, Date(timeIntervalSince1970: 1_767_225_600), Date(timeIntervalSince1970: 1_798_761_600),
    Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 253_402_300_799),
]

private let tiers: [[UInt8]] = LicenseTier.allCases.map { Array($0.rawValue.utf8) }

/// The shape, checked the slow and obvious way: split on "-", compare the parts.
private func referenceAccepts(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let parts = Array(bytes).split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
    guard parts.count == 8, Array(parts[0]) == Array("TMWS".utf8), tiers.contains(Array(parts[1])) else { return false }
    let hexLengths = [8, 4, 4, 4, 12, 16]
    for (part, length) in zip(parts[2...], hexLengths) {
        guard part.count == length, part.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            return false
        }
    }
    return true
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLicenseKey(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = LicenseKey(parsing: text)
    fuzzCheck((parsed != nil) == referenceAccepts(bytes), "parser and reference disagree (parsed: \(parsed != nil))")
    guard let key = parsed else { return 0 }

    fuzzCheck(key.text.utf8.elementsEqual(bytes), "a parsed key re-renders to other bytes")
    fuzzCheck(LicenseKey(parsing: key.text) == key, "re-parsing the rendered key gives another key")
    fuzzCheck(!key.description.contains(key.checksum.hex), "the description shows the checksum")
    fuzzCheck(key.text.hasPrefix("TMWS-\(key.tier.rawValue)-\(key.id.canonicalText)-"), "tier or id rendered wrongly")

    for expiry in expiries {
        let signed = signer.key(tier: key.tier, id: key.id, expiresAt: expiry)
        let accepted = signer.verify(key, expiresAt: expiry)
        fuzzCheck(accepted == (signed == key), "verify disagrees with the signer (accepted: \(accepted))")
        if accepted {
            fuzzCheck(signed.text.utf8.elementsEqual(bytes), "an accepted key is not the signer's text")
        }
    }
    return 0
}

@main
enum FuzzLicenseKeyMain {
    static func main() {
        exit(runLibFuzzer(fuzzLicenseKey))
    }
}
