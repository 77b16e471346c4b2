import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// `tmwsctl license`: the five license tools and a listing, through `LicenseService` with the
/// `--as` agent's authority (RBAC and audit apply).
struct LicenseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license",
        abstract: "Generate, validate, revoke and inspect license keys as the --as agent.",
        subcommands: [Generate.self, Validate.self, Checkout.self, Revoke.self, Info.self, Usage.self, List.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a license owned by the --as agent (editor or admin). The key is printed once.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("FREE, PRO or ENTERPRISE.", valueName: "tier"), completion: .list(Parse.tierNames))
        var tier: String
        @Option(help: "Days until expiry, 30–3650; omit for a perpetual license.") var days: Int?

        struct Result: Encodable {
            var licenseKey: String
            var licenseId: String
            var tier: String
            var issuedAt: Date
            @Null var expiresAt: Date?
            var isPerpetual: Bool
            var ownerAgentId: String
            var namespace: String
        }

        func validate() throws {
            _ = try Parse.tier(tier)
            if let days, !ServiceLimits.expiresDays.contains(days) {
                throw ValidationError("--days must be between 30 and 3650 (omit it for a perpetual license)")
            }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let generated = try await deployment.licenses.generateLicenseKey(as: principal, tier: try Parse.tier(tier), expiresDays: days)
                let license = generated.license
                let result = Result(
                    licenseKey: generated.key, licenseId: license.id.canonicalText, tier: license.tier,
                    issuedAt: license.issuedAt, expiresAt: license.expiresAt, isPerpetual: license.expiresAt == nil,
                    ownerAgentId: license.ownerID.canonicalText, namespace: license.namespace)
                if global.json { return try JSONOutput.print(result) }
                Console.out(generated.key)
                Console.error(
                    "license \(result.licenseId) (\(result.tier)), expires \(license.expiresAt.map(JSONOutput.iso8601) ?? "never"); the key is shown once")
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a key (any role) and record the attempt. Exits 1 when the key is not valid.",
            discussion: "Pass - to read the key from standard input (keeps it out of the process list).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The license key, or - for standard input.") var key: String
        @Option(help: "The feature about to be used, recorded with the attempt.") var feature: String?

        struct Result: Encodable {
            var valid: Bool
            var code: String
            @Null var tier: String?
            @Null var licenseId: String?
            @Null var expiresAt: Date?
            @Null var isPerpetual: Bool?
            var validatedAt: Date
        }

        func run() async throws {
            let text = key == "-" ? readLine(strippingNewline: true) ?? "" : key  // the service trims, as over MCP
            try await global.withSession { deployment, principal in
                let verdict = try await deployment.licenses.validateLicenseKey(as: principal, key: text, featureAccessed: feature)
                let result = Result(
                    valid: verdict.valid, code: verdict.code.rawValue, tier: verdict.tier?.rawValue,
                    licenseId: verdict.licenseID?.canonicalText, expiresAt: verdict.expiresAt, isPerpetual: verdict.isPerpetual,
                    validatedAt: verdict.validatedAt)
                if global.json {
                    try JSONOutput.print(result)
                } else {
                    var line = verdict.code.rawValue
                    if let id = result.licenseId { line += " license \(id)" }
                    if let tier = result.tier { line += " \(tier)" }
                    if verdict.isPerpetual == true {
                        line += " perpetual"
                    } else if let expires = verdict.expiresAt {
                        line += " expires \(JSONOutput.iso8601(expires))"
                    }
                    Console.out(line)
                }
                if !verdict.valid { throw ExitCode(Failure.checkFailed) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a license (admin). Idempotent.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The license id.") var id: String
        @Option(help: "Why (recorded with the revocation).") var reason: String?

        struct Result: Encodable {
            var licenseId: String
            var revokedAt: Date
            @Null var reason: String?
            var alreadyRevoked: Bool
        }

        func validate() throws { _ = try Parse.uuid(id) }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let revocation = try await deployment.licenses.revokeLicenseKey(as: principal, id: try Parse.uuid(id), reason: reason)
                let result = Result(
                    licenseId: revocation.licenseID.canonicalText, revokedAt: revocation.revokedAt, reason: revocation.reason,
                    alreadyRevoked: revocation.alreadyRevoked)
                if global.json { return try JSONOutput.print(result) }
                Console.out(
                    "license \(result.licenseId) \(result.alreadyRevoked ? "was already revoked" : "revoked") at \(JSONOutput.iso8601(result.revokedAt))"
                        + (result.reason.map { " (\($0))" } ?? ""))
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a license and its status (owner or admin).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The license id.") var id: String

        func validate() throws { _ = try Parse.uuid(id) }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let info = try await deployment.licenses.licenseInfo(as: principal, id: try Parse.uuid(id))
                let owner = try await deployment.store.agent(id: info.license.ownerID)?.name
                let view = LicenseView(info.license, status: info.status, ownerName: owner)
                if global.json { return try JSONOutput.print(view) }
                view.text.forEach(Console.out)
            }
        }
    }
}
