import Foundation
import TMWSTestSupport
import Testing

/// Runs the built binary against temporary databases.
@Suite(.serialized) struct EndToEndTests {
    @Test func initCreatesAHeadDatabaseAndAnOwnerOnlyKeyFile() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let created = try await cli.run(["init", "--json"])
        #expect(created.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let keyFile = try #require(json["admin_key_file"] as? String)
        let permissions = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!created.stdout.contains(key) && !created.stderr.contains(key))
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\n")
        #expect(try await cli.run(["schema", "verify"]).status == 0)
        #expect(try await cli.run(["init"]).stdout.contains("already initialised"))
    }

    @Test func aMissingDatabaseIsAnInputErrorAndCreatesNothing() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        for arguments in [["migrate", "status"], ["agent", "list"], ["stats"], ["backup"], ["schema", "verify"], ["license", "list"]] {
            let outcome = try await cli.run(arguments)
            #expect(outcome.status == 2, "\(arguments)")
            #expect(outcome.stderr.contains("tmwsctl init"), "\(arguments): \(outcome.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.databasePath))
    }

    @Test func aDatabaseAtAnOlderRevisionIsRefusedWithTheFix() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        let refused = try await cli.run(["migrate", "down"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--yes"))
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\n")
        #expect(try await cli.run(["migrate", "down", "--yes"]).status == 0)
        #expect(try await cli.run(["migrate", "status"]).stdout == "096325207c82\n")
        let agents = try await cli.run(["agent", "list"])
        #expect(agents.status == 2)
        #expect(agents.stderr.contains("tmwsctl migrate up"))
        #expect(try await cli.run(["schema", "verify"]).status == 1)
        let stats = try await cli.run(["stats", "--json"])
        #expect(stats.status == 1)
        #expect(stats.stdout.contains("migration_version"))
        #expect(try await cli.run(["migrate", "status"]).stdout == "096325207c82\n")
        #expect(try await cli.run(["migrate", "up"]).status == 0)
        #expect(try await cli.run(["init"]).stdout.contains("admin role"))
        #expect(try await cli.run(["agent", "list"]).status == 0)
    }

    @Test func badInputExitsTwoAndChangesNothing() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        #expect(try await cli.run(["agent", "create", "bot", "--namespace", "acme"]).status == 0)
        let before = try await cli.run(["agent", "show", "bot", "--json"]).stdout
        for arguments in [
            ["agent", "set-role", "bot", "superuser"], ["agent", "set-tier", "bot", "GOLD"], ["license", "info", "xyz"],
            ["license", "revoke", "not-a-uuid"], ["agent", "set-role", "nobody", "admin"], ["license", "list", "--as", "ghost"],
            ["license", "info", "550e8400-e29b-41d4-a716-446655440000"],
        ] {
            let outcome = try await cli.run(arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
            #expect(!outcome.stderr.isEmpty)
        }
        #expect(try await cli.run(["agent", "show", "bot", "--json"]).stdout == before)
    }

    @Test func aCorruptRestoreFileIsRefusedAndTheDatabaseIsKept() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        #expect(try await cli.run(["agent", "create", "keeper", "--namespace", "acme"]).status == 0)
        let corrupt = cli.directory.appendingPathComponent("corrupt.db")
        try Data(repeating: 0x42, count: 8192).write(to: corrupt)
        let outcome = try await cli.run(["restore", corrupt.path, "--force"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("nothing was changed"))
        #expect(try await cli.run(["agent", "show", "keeper"]).status == 0)
        let missing = try await cli.run(["restore", cli.directory.appendingPathComponent("nope.db").path])
        #expect(missing.status == 2)
    }

    @Test func backupAndRestoreBringTheEarlierStateBack() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        let backup = cli.directory.appendingPathComponent("data/b.db").path
        #expect(try await cli.run(["backup", "--out", backup]).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int) == 0o600)
        #expect(try await cli.run(["backup", "--out", backup]).status == 2)
        #expect(try await cli.run(["agent", "create", "later", "--namespace", "acme"]).status == 0)
        let refused = try await cli.run(["restore", backup])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--force"))
        #expect(try await cli.run(["restore", backup, "--force"]).status == 0)
        #expect(try await cli.run(["agent", "show", "later"]).status == 2)
        let kept = try FileManager.default.contentsOfDirectory(atPath: cli.directory.appendingPathComponent("data").path)
        #expect(kept.contains { $0.hasPrefix("tmws_pre_restore_") })
    }

    @Test func licensesThroughTheCLIFollowRBACAndPrintISOTimestamps() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        #expect(try await cli.run(["agent", "create", "ed", "--namespace", "acme", "--role", "editor"]).status == 0)
        #expect(try await cli.run(["agent", "create", "vi", "--namespace", "acme"]).status == 0)
        let generated = try await cli.run(["license", "generate", "--tier", "PRO", "--days", "30", "--as", "ed", "--json"])
        #expect(generated.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(generated.stdout.utf8)) as? [String: Any])
        let key = try #require(json["license_key"] as? String)
        let expires = try #require(json["expires_at"] as? String)
        #expect(expires.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
        let valid = try await cli.run(["license", "validate", "-", "--as", "vi"], stdin: key + "\n")
        #expect(valid.status == 0)
        #expect(valid.stdout.hasPrefix("VALID"))
        let denied = try await cli.run(["license", "generate", "--tier", "PRO", "--as", "vi"])
        #expect(denied.status == 1)
        #expect(!denied.stderr.contains(key))
        let query = try await cli.run(["audit", "query", "--result", "DENY", "--agent", "vi", "--json"])
        #expect(query.stdout.contains("license:generate"))
        let forgedKey = Forgery.changingLastHexDigit(of: key)
        #expect(forgedKey != key)
        let forged = try await cli.run(["license", "validate", forgedKey, "--as", "vi"])
        #expect(forged.status == 1)
        #expect(!forged.stderr.contains(key) && !forged.stdout.contains(key))
    }
}
