import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSLicenseVerifier
import TMWSStorage

/// `tmwsctl signing-key`: the Ed25519 keys that sign offline license tokens (admin, audited).
struct SigningKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signing-key",
        abstract: "List, create, rotate, retire and remove the keys that sign offline license tokens (admin).",
        discussion: """
            One key is active (signs new tokens); retired keys keep verifying the tokens they signed until they are
            removed. Changes reach every server on the database at once and are audited (signing_key_*). Private
            keys are kept sealed under the deployment's signing secret and are never printed.
            """,
        subcommands: [List.self, Create.self, Rotate.self, Retire.self, Remove.self, Export.self])

    struct KeyView: Encodable {
        var kid: String
        var status: String
        var createdAt: Date
        @Null var retiredAt: Date?
        var publicKey: String

        init(_ key: SigningKeyInfo) {
            kid = key.kid
            status = key.status.rawValue
            createdAt = key.createdAt
            retiredAt = key.retiredAt
            publicKey = key.publicKey
        }

        var line: String {
            [kid, status, "created " + JSONOutput.iso8601(createdAt)].map(TerminalText.field).joined(separator: "\t")
                + (retiredAt.map { "\tretired " + JSONOutput.iso8601($0) } ?? "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the signing keys, newest first.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { deployment, principal in
                let keys = try await deployment.signingKeys.keys(as: principal).map(KeyView.init)
                if global.json { return try JSONOutput.print(keys) }
                if keys.isEmpty { Console.out("no signing keys (the first checkout creates one, or run `tmwsctl signing-key create`)") }
                for key in keys { Console.out(key.line) }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the first active key (refused while one is active: rotate).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { deployment, principal in
                let key = KeyView(try await deployment.signingKeys.create(as: principal))
                if global.json { return try JSONOutput.print(key) }
                Console.out("created signing key \(key.kid) (active)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new key active and retire the one it replaces.")
        @OptionGroup var global: GlobalOptions

        struct Result: Encodable {
            var active: KeyView
            @Null var retired: KeyView?
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let (added, retired) = try await deployment.signingKeys.rotate(as: principal)
                let result = Result(active: KeyView(added), retired: retired.map(KeyView.init))
                if global.json { return try JSONOutput.print(result) }
                Console.out("signing key \(added.kid) is active" + (retired.map { "; \($0.kid) retired (it keeps verifying until removed)" } ?? ""))
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retire a key: it signs no more and keeps verifying.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The key id (kid).") var kid: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let key = KeyView(try await deployment.signingKeys.retire(as: principal, kid: kid))
                if global.json { return try JSONOutput.print(key) }
                Console.out("signing key \(key.kid) is retired")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a retired key: tokens it signed stop verifying (UNKNOWN_KEY) once apps reload the key set.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The key id (kid).") var kid: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let key = KeyView(try await deployment.signingKeys.remove(as: principal, kid: kid))
                if global.json { return try JSONOutput.print(key) }
                Console.out("signing key \(key.kid) is removed")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public key set (JWKS) apps verify tokens with: what /.well-known/jwks.json serves.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "As a JSON Web Key Set (RFC 7517), the one format there is.") var jwks = false
        @Option(help: ArgumentHelp("Write it to this file instead of standard output.", valueName: "file"), completion: .file())
        var out: String?

        func run() async throws {
            try await global.withSession { deployment, principal in
                _ = try await deployment.signingKeys.keys(as: principal)  // admin only, as the other commands
                let set = try await deployment.signingKeys.publicKeySet()
                if let out {
                    do {
                        try (set.json + "\n").write(toFile: out, atomically: true, encoding: .utf8)
                    } catch {
                        throw Failure("cannot write \(out): \((error as NSError).localizedDescription)")
                    }
                    Console.error("wrote \(set.keys.count) public key\(set.keys.count == 1 ? "" : "s") to \(out)")
                } else {
                    Console.json(set.json)
                }
            }
        }
    }
}
