import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSStorage

extension LicenseCommand {
    struct Checkout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check out an offline license token for a key (any role). Exits 1 when the key is not valid.",
            discussion: """
                The key is validated as `license validate` does (recorded with feature_accessed "checkout"); a VALID key
                gets a signed token (JWS, EdDSA/Ed25519) on standard output, which apps verify offline with the
                deployment's public keys (`tmwsctl signing-key export --jwks`). Pass - to read the key from standard input.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The license key, or - for standard input.") var key: String
        @Option(help: ArgumentHelp("The token's lifetime: 1h to 90d (e.g. 12h, 7d, 4w).", valueName: "duration")) var ttl: String?
        @Option(help: "The aud claim: who the token is for.") var audience: String?
        @Option(help: "Bind the token to this machine fingerprint.") var fingerprint: String?

        struct Result: Encodable {
            var valid: Bool
            var code: String
            @Null var tier: String?
            @Null var licenseId: String?
            @Null var licenseExpiresAt: Date?
            @Null var token: String?
            @Null var kid: String?
            @Null var expiresAt: Date?
            var validatedAt: Date
        }

        func validate() throws {
            if let ttl { _ = try Parse.duration(ttl) }
        }

        func run() async throws {
            let text = key == "-" ? readLine(strippingNewline: true) ?? "" : key
            try await global.withSession { deployment, principal in
                let checkout = try await deployment.licenses.checkoutLicense(
                    as: principal, key: text, ttl: try ttl.map(Parse.duration), audience: audience, fingerprint: fingerprint)
                let verdict = checkout.validation
                let result = Result(
                    valid: verdict.valid, code: verdict.code.rawValue, tier: verdict.tier?.rawValue,
                    licenseId: verdict.licenseID?.canonicalText, licenseExpiresAt: verdict.expiresAt, token: checkout.token,
                    kid: checkout.keyID, expiresAt: checkout.expiresAt, validatedAt: verdict.validatedAt)
                if global.json {
                    try JSONOutput.print(result)
                } else if let token = checkout.token {
                    Console.out(token)
                    Console.error(
                        "token for license \(result.licenseId ?? "?") signed by \(checkout.keyID ?? "?"), expires "
                            + (checkout.expiresAt.map(JSONOutput.iso8601) ?? "?"))
                } else {
                    Console.out(verdict.code.rawValue)
                }
                if !verdict.valid { throw ExitCode(Failure.checkFailed) }
            }
        }
    }
}
