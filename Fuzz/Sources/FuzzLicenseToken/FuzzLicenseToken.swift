import Crypto
import Foundation
import FuzzSupport
import TMWSLicenseVerifier

// Feeds arbitrary bytes to `LicenseVerifier.verify` with a key set of one fixed Ed25519 key (the
// private key is the bytes 1…32, so the seeds can be signed outside: seeds/license-token/).
//
// Invariants:
// - nothing crashes or hangs, whatever the bytes (the verifier must never throw);
// - the same input gets the same code twice;
// - VALID only when a bare swift-crypto Ed25519 check of the input's first two segments against
//   its third succeeds with the fixture key, the header names that key, and the claims are the
//   seed's; BAD_SIGNATURE only when that bare check fails (a differential check against the
//   primitive, outside jwt-kit);
// - input over 8 KiB (after trimming) is MALFORMED.

private let privateKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(1...32) as [UInt8])
private let publicKeyBytes = Array(privateKey.publicKey.rawRepresentation)
private let kid = PublicKeySet.Key.thumbprint(publicKey: publicKeyBytes) { Array(SHA256.hash(data: $0)) }
/// The seeds' time: 2026-12-07T14:00:00Z, inside their validity.
private let now = Date(timeIntervalSince1970: 1_796_652_000)

private let verifier: LicenseVerifier = {
    let set = PublicKeySet(keys: [PublicKeySet.Key(kid: kid, publicKey: publicKeyBytes)])
    return try! blocking { try await LicenseVerifier(keySet: set, issuer: "tmws") }.get()
}()

private func base64URL(_ text: Substring) -> Data? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    return Data(base64Encoded: base64)
}

/// Whether the bare primitive accepts the input's signature over its signing input.
private func bareSignatureHolds(_ token: String) -> Bool {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let signature = base64URL(parts[2]) else { return false }
    return privateKey.publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLicenseToken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    let first = verifier.verify(text, now: now, audience: "desktop", fingerprint: "machine-7f3a")
    let second = verifier.verify(text, now: now, audience: "desktop", fingerprint: "machine-7f3a")
    fuzzCheck(first.code == second.code, "verdicts differ for the same input: \(first.code) then \(second.code)")

    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if token.utf8.count > LicenseVerifier.maximumTokenBytes {
        fuzzCheck(first.code == .malformed, "input over 8 KiB got \(first.code)")
    }
    switch first.code {
    case .valid:
        fuzzCheck(bareSignatureHolds(token), "VALID, but the bare Ed25519 check fails")
        let license = first.license
        fuzzCheck(license?.keyID == kid, "VALID with another key id")
        fuzzCheck(license?.licenseID.uuidString.lowercased() == "550e8400-e29b-41d4-a716-446655440000", "VALID for another license")
    case .badSignature:
        fuzzCheck(!bareSignatureHolds(token), "BAD_SIGNATURE, but the bare Ed25519 check succeeds")
    default:
        break
    }
    fuzzCheck((first.license != nil) == (first.code == .valid), "a license without VALID, or VALID without one")
    return 0
}

@main
enum FuzzLicenseTokenMain {
    static func main() {
        exit(runLibFuzzer(fuzzLicenseToken))
    }
}
