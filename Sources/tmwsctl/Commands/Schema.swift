import ArgumentParser
import Foundation
import TMWSStorage

/// `tmwsctl schema verify`: the deployment guide's schema verification, without raw SQL.
struct Schema: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect the database schema.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the role column and default, the indexes, the license tables and the revision.",
            discussion: "Prints each check; exits 1 when any fails.")
        @OptionGroup var global: GlobalOptions

        func validate() throws { try global.refuseAgent() }

        struct Check: Encodable {
            var name: String
            var passed: Bool
            var expected: String
            var found: String
        }

        struct Result: Encodable {
            var passed: Bool
            var checks: [Check]
        }

        func run() async throws {
            let checks = try await global.withMigratingStore { try await $0.verifySchema() }
            let passed = checks.allSatisfy(\.passed)
            if global.json {
                try JSONOutput.print(
                    Result(passed: passed, checks: checks.map { Check(name: $0.name, passed: $0.passed, expected: $0.expected, found: $0.found) }))
            } else {
                for check in checks {
                    let detail = check.passed ? check.found : "expected \(check.expected), found \(check.found)"
                    Console.out("[\(check.passed ? "PASS" : "FAIL")] \(check.name): \(detail)")
                }
                Console.out(passed ? "schema OK" : "schema verification FAILED; run `tmwsctl migrate up` or restore a backup")
            }
            if !passed { throw ExitCode(Failure.checkFailed) }
        }
    }
}
