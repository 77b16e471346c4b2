import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

/// Runs the built binary against temporary databases.
@Suite(.serialized) struct EndToEndTests {
    /// The second line of `migrate status`: the extension track, at its head once a deployment has opened.
    static let extensionAtHead = "extension: \(MigrationTrack.extensions.head) (head)\n"

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
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\n" + Self.extensionAtHead)
        #expect(try await cli.run(["schema", "verify"]).status == 0)
        #expect(try await cli.run(["init"]).stdout.contains("already initialised"))
    }

    /// `tmwsctl doctor`: a fresh deployment passes every check; loose permissions, another secret
    /// and an older schema are each a problem with the command that fixes it (exit 1).
    @Test func doctorNamesEachProblemWithItsFix() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let missing = try await cli.run(["doctor"])
        #expect(missing.status == 1 && missing.stdout.contains("fix: tmwsctl init"), "\(missing.stdout)")
        #expect(try await cli.run(["init"]).status == 0)

        func problems(_ outcome: CLIRunner.Outcome) throws -> [String: String] {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
            let checks = try #require(json["checks"] as? [[String: Any]])
            #expect(checks.count >= 10, "\(checks.count) checks")
            #expect((json["ok"] as? Bool) == checks.allSatisfy { $0["ok"] as? Bool == true })
            return Dictionary(
                checks.filter { $0["ok"] as? Bool == false }.map { ($0["name"] as? String ?? "?", $0["fix"] as? String ?? "") },
                uniquingKeysWith: { first, _ in first })
        }
        let healthy = try await cli.run(["doctor", "--json"])
        #expect(healthy.status == 0, "\(healthy.stdout)")
        #expect(try problems(healthy).isEmpty)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: cli.databasePath)
        let loose = try await cli.run(["doctor", "--json"])
        #expect(loose.status == 1)
        #expect(try problems(loose) == ["file permissions": "chmod 600 \(cli.databasePath)"])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: cli.databasePath)

        let otherSecret = try await cli.run(["doctor", "--json"], environment: ["TMWS_SECRET_KEY": String(repeating: "x", count: 40)])
        #expect(otherSecret.status == 1)
        #expect(try problems(otherSecret).keys.sorted() == ["signing secret"])
        let shortSecret = try await cli.run(["doctor"], environment: ["TMWS_SECRET_KEY": "short"])
        #expect(shortSecret.status == 1 && shortSecret.stdout.contains("[PROBLEM] signing secret"), "\(shortSecret.stdout)")

        #expect(try await cli.run(["migrate", "down", "--yes"]).status == 0)
        let older = try await cli.run(["doctor", "--json"])
        #expect(older.status == 1)
        #expect(try problems(older) == ["schema (seed)": "tmwsctl backup && tmwsctl migrate up"])
        #expect(try await cli.run(["doctor", "--as", "admin"]).status == 2, "doctor works on the database itself: --as is refused")
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
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\n" + Self.extensionAtHead)
        #expect(try await cli.run(["migrate", "down", "--yes"]).status == 0)
        #expect(try await cli.run(["migrate", "status"]).stdout == "096325207c82\n" + Self.extensionAtHead)
        let agents = try await cli.run(["agent", "list"])
        #expect(agents.status == 2)
        #expect(agents.stderr.contains("tmwsctl migrate up"))
        #expect(try await cli.run(["schema", "verify"]).status == 1)
        let stats = try await cli.run(["stats", "--json"])
        #expect(stats.status == 1)
        #expect(stats.stdout.contains("migration_version"))
        #expect(try await cli.run(["migrate", "status"]).stdout == "096325207c82\n" + Self.extensionAtHead)
        #expect(try await cli.run(["migrate", "up"]).status == 0)
        #expect(try await cli.run(["init"]).stdout.contains("admin role"))
        #expect(try await cli.run(["agent", "list"]).status == 0)
    }

    /// The extension track through the CLI: `--track extension` moves it alone, `--to` finds the
    /// track of the revision it names, `migrate up` brings both to head, `history` lists both, and
    /// the seed's `status --track seed` line reads as it always did.
    @Test func theExtensionTrackMovesAloneThroughTheCLI() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        let first = MigrationTrack.extensions.revisions[0].id, head = MigrationTrack.extensions.head
        let refused = try await cli.run(["migrate", "down", "--track", "extension", "--to", "base", "--yes"])
        #expect(refused.status == 2 && refused.stderr.contains("--to-empty"), "below the track's base needs --to-empty")
        let down = try await cli.run(["migrate", "down", "--track", "extension", "--to", "base", "--to-empty", "--yes", "--json"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("table tmws_deployment (1 row)"), "\(down.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(down.stdout.utf8)) as? [String: Any])
        #expect(json["track"] as? String == "extension" && json["undone"] as? [String] == MigrationTrack.extensions.revisions.reversed().map(\.id))
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\nextension: none\n")
        #expect(try await cli.run(["migrate", "status", "--track", "seed"]).stdout == "571948cc671b (head)\n")
        #expect(try await cli.run(["schema", "verify"]).status == 1)
        let mismatched = try await cli.run(["migrate", "down", "--track", "seed", "--to", first, "--yes"])
        #expect(mismatched.status == 2 && mismatched.stderr.contains("extension track"), "\(mismatched.stderr)")

        let up = try await cli.run(["migrate", "up", "--to", first])
        #expect(up.status == 0 && up.stdout.contains("extension: Running upgrade <base> -> \(first)"), "\(up.stdout)")
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\nextension: \(first)\n")
        #expect(try await cli.run(["migrate", "up"]).status == 0)
        #expect(try await cli.run(["migrate", "status"]).stdout == "571948cc671b (head)\n" + Self.extensionAtHead)
        #expect(try await cli.run(["schema", "verify"]).status == 0)
        let history = try await cli.run(["migrate", "history"]).stdout
        #expect(history.contains("096325207c82 -> 571948cc671b (head, current)") && history.contains("extension: \(first) -> \(head) (head, current)"))

        // The seed's own down and up leave the extension track where it is.
        #expect(try await cli.run(["migrate", "down", "--yes"]).status == 0)
        #expect(try await cli.run(["migrate", "status"]).stdout == "096325207c82\n" + Self.extensionAtHead)
        let upBoth = try await cli.run(["migrate", "up"])
        #expect(upBoth.status == 0 && upBoth.stdout.contains("Running upgrade 096325207c82 -> 571948cc671b"))
        #expect(upBoth.stdout.contains("already at extension: \(head) (head); nothing to do"), "\(upBoth.stdout)")
    }

    /// `migrate down` says what it removes with the rows in it, backs up first when a removed
    /// table or column holds rows, and needs --to-empty to go below the base revision (#15, items 3 and 5).
    @Test func downgradesNameWhatTheyRemoveBackUpFirstAndStopAtTheBase() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        #expect(try await cli.run(["agent", "create", "ed", "--namespace", "acme", "--role", "editor"]).status == 0)
        #expect(try await cli.run(["license", "generate", "--tier", "PRO", "--as", "ed"]).status == 0)
        let data = cli.directory.appendingPathComponent("data").path
        func backups() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasPrefix("tmws_backup_") } }

        let same = try await cli.run(["migrate", "down", "--to", "571948cc671b", "--yes"])
        #expect(same.status == 0 && same.stdout == "already at 571948cc671b (head); nothing to do\n", "\(same.stdout)\(same.stderr)")
        #expect(try backups().isEmpty, "nothing to undo, nothing to back up")

        let first = try await cli.run(["migrate", "down", "--yes", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("removes: column agents.role (2 rows)"), "\(first.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let backup = try #require(json["backup"] as? String)
        #expect(FileManager.default.fileExists(atPath: backup))
        #expect(try backups().count == 1)

        // Going to the base removes the license tables and their rows: the plan counts them.
        try await Task.sleep(for: .seconds(1.1))  // backup names are per second
        let second = try await cli.run(["migrate", "down", "--yes"])
        #expect(second.status == 0)
        #expect(second.stderr.contains("table license_usage_history (0 rows), table license_keys (1 row)"), "\(second.stderr)")
        #expect(try backups().count == 2)

        // Below the base only with --to-empty.
        for arguments in [["migrate", "down", "--yes"], ["migrate", "down", "--to", "base", "--yes"]] {
            let refused = try await cli.run(arguments)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("--to-empty"), "\(refused.stderr)")
        }
        #expect(try await cli.run(["migrate", "status"]).stdout == "e674ec434eeb\n" + Self.extensionAtHead)
        try await Task.sleep(for: .seconds(1.1))
        let emptied = try await cli.run(["migrate", "down", "--to-empty", "--yes", "--no-backup"])
        #expect(emptied.status == 0, "\(emptied.stderr)")
        #expect(emptied.stderr.contains("table agents (2 rows)"))
        #expect(try backups().count == 2, "--no-backup writes none")
        #expect(try await cli.run(["migrate", "status"]).stdout == "none (empty database)\n" + Self.extensionAtHead)
        #expect(try await cli.run(["migrate", "down", "--yes", "--to-empty"]).status == 2, "nothing left to downgrade")

        // The first backup still holds everything.
        #expect(try await cli.run(["restore", backup, "--force"]).status == 0)
        #expect(try await cli.run(["migrate", "up"]).status == 0)
        #expect(try await cli.run(["license", "list", "--as", "admin"]).stdout.contains("PRO"))
    }

    /// Small things from a new user's first hour (#15, item 10): `-n2` is accepted, `stats --json`
    /// names the revision it checked, and a refused `stats` exits 3, not 1 like an alert.
    @Test func smallThingsANewUserHits() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        let joined = try await cli.run(["audit", "tail", "-n2"])
        #expect(joined.status == 0, "\(joined.stderr)")
        let stats = try await cli.run(["stats", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let metrics = try #require(json["metrics"] as? [String: [String: Any]])
        #expect(metrics["migration_version"]?["revision"] as? String == "571948cc671b")
        #expect(metrics["migration_version"]?["head"] as? String == "571948cc671b")
        #expect(metrics["permission_deny_rate"]?["revision"] == nil)
        #expect(try await cli.run(["agent", "create", "vi", "--namespace", "acme"]).status == 0)
        let refused = try await cli.run(["stats", "--as", "vi"])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("tmwsctl init"), "the hint leads somewhere")
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

    /// Text chosen by other agents (a viewer's feature, an admin's display name) cannot drive the
    /// terminal: control characters are escaped in text output and exact in JSON (#15, item 12).
    @Test func controlCharactersFromTheDatabaseAreEscapedInTextOutput() async throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        #expect(try await cli.run(["init"]).status == 0)
        let hostileName = "Eve\u{1B}[2J\u{1B}]0;owned\u{07}\u{202E}"
        #expect(try await cli.run(["agent", "create", "ed", "--namespace", "acme", "--role", "editor", "--display-name", hostileName]).status == 0)
        let generated = try await cli.run(["license", "generate", "--tier", "PRO", "--as", "ed", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(generated.stdout.utf8)) as? [String: Any])
        let key = try #require(json["license_key"] as? String)
        let id = try #require(json["license_id"] as? String)
        let feature = "x\rVALID\tagent admin\n\u{1B}[1A\u{9B}2K\u{7F}"
        _ = try await cli.run(["license", "validate", key, "--as", "ed", "--feature", feature])

        let outputs = [
            try await cli.run(["license", "usage", id, "--as", "ed"]),
            try await cli.run(["agent", "list", "--as", "admin"]),
            try await cli.run(["agent", "show", "ed", "--as", "admin"]),
            try await cli.run(["audit", "tail", "--as", "admin"]),
        ]
        for outcome in outputs {
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let raw = outcome.stdout.unicodeScalars.filter {
                ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E
            }
            #expect(raw.isEmpty, "raw control characters in: \(outcome.stdout.debugDescription)")
        }
        let usage = outputs[0].stdout
        #expect(usage.contains("x\\rVALID\\tagent admin\\n\\x1b[1A\\x9b2K\\x7f"), "\(usage.debugDescription)")
        #expect(usage.split(separator: "\n").count == 1, "the feature's newline starts no row of its own")
        #expect(outputs[1].stdout.contains("Eve\\x1b[2J\\x1b]0;owned\\x07\\u{202e}"))

        // JSON keeps every character exactly.
        let exact = try await cli.run(["license", "usage", id, "--as", "ed", "--json"])
        let page = try #require(try JSONSerialization.jsonObject(with: Data(exact.stdout.utf8)) as? [String: Any])
        let items = try #require(page["items"] as? [[String: Any]])
        #expect(items.first?["feature_accessed"] as? String == feature)
        let agents = try #require(
            try JSONSerialization.jsonObject(with: Data(try await cli.run(["agent", "list", "--as", "admin", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(agents.contains { $0["display_name"] as? String == hostileName })
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
        #expect(denied.status == 3, "a refusal is not an alert or a failed check")
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
