import ArgumentParser
import Testing

@testable import tmwsctl

/// Every command parses with `parseAsRoot`, and bad input is a usage error (exit 2).
@Suite struct ParsingTests {
    static let valid: [[String]] = [
        ["init"],
        ["init", "--db", "sqlite:////tmp/x.db", "--json"],
        ["migrate", "status"],
        ["migrate", "up"],
        ["migrate", "up", "--to", "096325207c82"],
        ["migrate", "down", "--yes"],
        ["migrate", "down", "--steps", "2", "--yes"],
        ["migrate", "down", "--to", "base", "--yes"],
        ["migrate", "history"],
        ["schema", "verify"],
        ["backup"],
        ["backup", "--out", "/tmp/b.db"],
        ["restore", "/tmp/b.db"],
        ["restore", "/tmp/b.db", "--force"],
        ["agent", "create", "bot", "--namespace", "acme"],
        ["agent", "create", "bot", "--namespace", "acme", "--role", "editor", "--display-name", "Bot"],
        ["agent", "list"],
        ["agent", "list", "--role", "admin", "--namespace", "acme", "--status", "suspended"],
        ["agent", "show", "bot"],
        ["agent", "set-role", "bot", "admin"],
        ["agent", "set-tier", "bot", "ENTERPRISE"],
        ["agent", "suspend", "bot"],
        ["agent", "resume", "bot"],
        ["agent", "key", "create", "bot"],
        ["agent", "key", "create", "bot", "--out", "/tmp/k"],
        ["agent", "key", "list", "bot"],
        ["agent", "key", "revoke", "bot", "tmws_ak_abcdefgh"],
        ["license", "generate", "--tier", "PRO"],
        ["license", "generate", "--tier", "pro", "--days", "365", "--as", "bot"],
        ["license", "validate", "TMWS-PRO-x", "--feature", "export"],
        ["license", "revoke", "550e8400-e29b-41d4-a716-446655440000", "--reason", "fraud"],
        ["license", "info", "550e8400-e29b-41d4-a716-446655440000"],
        ["license", "info", "550E8400-E29B-41D4-A716-446655440000"],
        ["license", "usage", "550e8400-e29b-41d4-a716-446655440000", "--limit", "10", "--cursor", "abc"],
        ["license", "list"],
        ["license", "list", "--owner", "bot", "--tier", "FREE", "--status", "expired"],
        ["audit", "tail"],
        ["audit", "tail", "-n", "5", "--deny-only", "--follow"],
        ["audit", "query", "--since", "1h", "--event-type", "permission_check", "--agent", "bot", "--result", "DENY"],
        ["audit", "export", "--format", "jsonl"],
        ["audit", "export", "--format", "csv", "--since", "7d"],
        ["stats"],
        ["stats", "--window", "15m", "--json"],
    ]

    @Test(arguments: valid)
    func parses(_ arguments: [String]) throws {
        _ = try TMWSCtl.parseAsRoot(arguments)
    }

    static let invalid: [[String]] = [
        ["agent", "set-role", "bot", "superuser"],
        ["agent", "create", "bot", "--namespace", "acme", "--role", "owner"],
        ["agent", "create", "bot"],
        ["agent", "set-tier", "bot", "GOLD"],
        ["license", "generate", "--tier", "GOLD"],
        ["license", "generate", "--tier", "PRO", "--days", "5"],
        ["license", "info", "not-a-uuid"],
        ["license", "revoke", "1234"],
        // Foundation's UUID(uuidString:) on Linux reads these as 050e8400-… and 550e8400-… (sscanf).
        ["license", "info", "+50e8400-e29b-41d4-a716-446655440000"],
        ["license", "info", "550e84 0-e29b-41d4-a716-446655440000"],
        ["license", "revoke", "550e8400-e29b-41d4-a716-44665544000-"],
        ["license", "usage", "550e8400-e29b-41d4-a716-446655440000", "--limit", "0"],
        ["license", "list", "--status", "lost"],
        ["migrate", "up", "--to", "deadbeef0000"],
        ["migrate", "down", "--steps", "1", "--to", "base"],
        ["migrate", "down", "--steps", "0"],
        ["audit", "query", "--since", "yesterday"],
        ["audit", "query", "--result", "MAYBE"],
        ["audit", "export", "--format", "xml"],
        ["stats", "--window", "1y"],
        ["frobnicate"],
        // --as means nothing to the commands that work on the database itself (#15, item 9).
        ["init", "--as", "bot"],
        ["backup", "--as", "bot"],
        ["restore", "/tmp/b.db", "--as", "bot"],
        ["migrate", "status", "--as", "bot"],
        ["migrate", "up", "--as", "bot"],
        ["migrate", "down", "--yes", "--as", "bot"],
        ["migrate", "history", "--as", "bot"],
        ["schema", "verify", "--as", "admin"],
    ]

    @Test(arguments: invalid)
    func rejects(_ arguments: [String]) {
        #expect(throws: (any Error).self) { _ = try TMWSCtl.parseAsRoot(arguments) }
        do {
            _ = try TMWSCtl.parseAsRoot(arguments)
        } catch {
            #expect(Failure.report(for: error).status == Failure.badInput)
        }
    }

    @Test func globalOptionsParse() throws {
        let command = try #require(try TMWSCtl.parseAsRoot(["license", "list", "--db", "/tmp/t.db", "--as", "bot", "--json"]) as? LicenseCommand.List)
        #expect(command.global.database == "/tmp/t.db")
        #expect(command.global.agent == "bot")
        #expect(command.global.json)
        let defaults = try #require(try TMWSCtl.parseAsRoot(["stats"]) as? Stats)
        #expect(defaults.global.agent == "admin")
        #expect(defaults.window == "1h")
    }

    /// Global options also before the command (#15, item 9): `tmwsctl --db X init`, `--json stats`,
    /// `--as x license list`, as `--db=X` too.
    @Test func globalOptionsBeforeTheCommand() throws {
        let moved = GlobalOptions.movingLeadingOptions(["--as", "bot", "--db=/tmp/t.db", "--json", "license", "list", "--limit", "5"])
        #expect(moved == ["license", "list", "--as", "bot", "--db=/tmp/t.db", "--json", "--limit", "5"])
        let command = try #require(try TMWSCtl.parseAsRoot(moved) as? LicenseCommand.List)
        #expect(command.global.database == "/tmp/t.db" && command.global.agent == "bot" && command.global.json && command.limit == 5)
        let initialise = try #require(try TMWSCtl.parseAsRoot(GlobalOptions.movingLeadingOptions(["--db", "/tmp/x.db", "init"])) as? Init)
        #expect(initialise.global.database == "/tmp/x.db")
        let stats = try #require(try TMWSCtl.parseAsRoot(GlobalOptions.movingLeadingOptions(["--json", "stats"])) as? Stats)
        #expect(stats.global.json)
        #expect(GlobalOptions.movingLeadingOptions(["agent", "list", "--json"]) == ["agent", "list", "--json"], "nothing to move")
        #expect(GlobalOptions.movingLeadingOptions(["--help"]) == ["--help"])
    }

    @Test(arguments: [("90s", 90.0), ("30m", 1800), ("1h", 3600), ("7d", 604_800), ("2w", 1_209_600)])
    func durations(_ text: String, _ seconds: Double) throws {
        #expect(try Parse.duration(text) == seconds)
    }

    @Test func completionScriptIsGenerated() {
        let script = TMWSCtl.completionScript(for: .bash)
        #expect(script.contains("tmwsctl"))
    }
}
