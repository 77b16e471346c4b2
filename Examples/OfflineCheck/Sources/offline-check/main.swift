// offline-check JWKS_FILE TOKEN_FILE [AUDIENCE] [FINGERPRINT]
// Verifies a license token with the deployment's public keys alone: no network, no secret.
import Foundation
import TMWSLicenseVerifier

let arguments = CommandLine.arguments
guard arguments.count >= 3, let jwks = FileManager.default.contents(atPath: arguments[1]),
    let token = try? String(contentsOfFile: arguments[2], encoding: .utf8)
else {
    print("usage: offline-check JWKS_FILE TOKEN_FILE [AUDIENCE] [FINGERPRINT]")
    exit(2)
}
let clock = FileVerifierClock(path: NSTemporaryDirectory() + "offline-check.clock")
let verifier = try await LicenseVerifier(jwks: jwks, issuer: "tmws", clock: clock)
let result = verifier.verify(
    token, audience: arguments.count > 3 ? arguments[3] : nil, fingerprint: arguments.count > 4 ? arguments[4] : nil)
if let license = result.license {
    print("VALID: \(license.tier) license \(license.licenseID.uuidString.lowercased()), token expires \(license.tokenExpiresAt)")
} else {
    print(result.code.rawValue)
    exit(1)
}
