import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// `tmwsctl agent key`: agents' API keys. A new key is shown once; only its prefix is stored.
struct AgentKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Create, list and revoke an agent's API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new API key. It is printed once (or written to an owner-only --out file).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String
        @Option(help: ArgumentHelp("Write the key to this owner-only file instead of printing it.", valueName: "file"), completion: .file())
        var out: String?

        struct Result: Encodable {
            var agentId: String
            var name: String
            var prefix: String
            var keyId: String
            var apiKey: String?
            var keyFile: String?
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                if let out, FileManager.default.fileExists(atPath: out) {
                    throw Failure("\(out) already exists; choose another --out file")
                }
                let issued = try await deployment.agents.issueAPIKey(as: principal, agentNamed: name)
                if let out { try Deployment.writeOwnerOnly(issued.key + "\n", to: out) }
                let result = Result(
                    agentId: issued.record.agentID.canonicalText, name: name, prefix: issued.record.prefix, keyId: issued.record.id.canonicalText,
                    apiKey: out == nil ? issued.key : nil, keyFile: out)
                if global.json { return try JSONOutput.print(result) }
                if let out {
                    Console.out("API key \(issued.record.prefix)… for '\(name)' written to \(out) (owner-only)")
                } else {
                    Console.error("API key \(issued.record.prefix)… for '\(name)'; it is shown once, store it now:")
                    Console.out(issued.key)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an agent's API keys (prefixes, dates, revocation).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let keys = try await deployment.agents.apiKeys(as: principal, agentNamed: name).map(APIKeyView.init)
                if global.json { return try JSONOutput.print(keys) }
                if keys.isEmpty { Console.out("'\(name)' has no API keys") }
                for key in keys { Console.out(key.line) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an agent's API key by its prefix (or key id).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String
        @Argument(help: "The key's display prefix, as `agent key list` shows it (or its id).") var prefix: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let key = try await deployment.agents.revokeAPIKey(
                    as: principal, agentNamed: name, prefix: prefix.hasSuffix("…") ? String(prefix.dropLast()) : prefix)
                if global.json { return try JSONOutput.print(APIKeyView(key)) }
                Console.out("API key \(key.prefix)… of '\(name)' revoked at \(key.revokedAt.map(JSONOutput.iso8601) ?? "-")")
            }
        }
    }
}
