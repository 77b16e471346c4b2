import ArgumentParser
import Foundation
import Logging
import TMWS
import TMWSLicenseCore

/// `tmwsctl`: the administrators' CLI. Every step of the deployment guide as a command.
///
/// Exit status: 0 on success, 1 on a failed check or an alert, 2 on usage or input errors, 3 when
/// the `--as` agent may not do what was asked.
@main
struct TMWSCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tmwsctl",
        abstract: "Administer a TMWS deployment: database, schema, backups, agents, licenses, audit log and monitoring.",
        discussion: """
            Global options, before or after the command: --db URL (else TMWS_DATABASE_URL, else \
            ~/.tmws/data/tmws.db; a postgres:// URL selects PostgreSQL: set TMWS_SECRET_KEY or \
            TMWS_SECRET_KEY_FILE to the servers' secret), --as AGENT (whose authority agent, license, \
            audit and stats commands use; default admin; refused by init, migrate, schema, backup and \
            restore), --json (one JSON document on standard output), --log-format text|json (how log lines \
            on standard error are written: human-readable, or one JSON object per line; else TMWS_LOG_FORMAT, \
            else text).

            Exit status: 0 success, 1 failed check or alert, 2 usage or input error, 3 refused.
            Shell completion: tmwsctl --generate-completion-script bash|zsh|fish
            """,
        version: ProductVersion.current,
        subcommands: [
            Init.self, Migrate.self, Schema.self, Backup.self, Restore.self, AgentCommand.self, LicenseCommand.self,
            SigningKeyCommand.self, Audit.self, Stats.self, Doctor.self,
        ])

    /// Parses, runs, and maps every failure to an exit status and a message on standard error.
    static func main() async {
        let arguments: [String]
        do {
            let format: LogFormat
            (arguments, format) = try LogSetup.takingLogFormat(from: Array(CommandLine.arguments.dropFirst()))
            LogSetup.bootstrap(format: format)
        } catch {
            Console.error("\(error)")
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot(GlobalOptions.movingLeadingOptions(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let (message, status) = Failure.report(for: error)
            if let message { Console.error(message) }
            Foundation.exit(status)
        }
    }
}
