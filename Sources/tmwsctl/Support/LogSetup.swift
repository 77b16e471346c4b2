import ArgumentParser
import Foundation
import Logging
import TMWS

/// Logging goes to standard error only; standard output is for command results.
enum LogSetup {
    /// Bootstraps swift-log once, in `format`, at `TMWS_LOG_LEVEL` (default `warning`).
    static func bootstrap(format: LogFormat) {
        let level = ProcessInfo.processInfo.environment["TMWS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        format.bootstrap(level: level)
    }

    /// The log format from `--log-format FORMAT` or `--log-format=FORMAT` anywhere in `arguments`
    /// (else `TMWS_LOG_FORMAT`, else text), and the arguments without it: logging is set up before
    /// the command line is parsed, so that parsing and every command log alike.
    /// - Throws: `ValidationError` for a format other than text or json, or a missing value.
    static func takingLogFormat(from arguments: [String]) throws -> (arguments: [String], format: LogFormat) {
        var rest: [String] = []
        var named = ProcessInfo.processInfo.environment["TMWS_LOG_FORMAT"]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                rest += arguments[index...]
                break
            } else if argument == "--log-format" {
                guard index + 1 < arguments.count else { throw ValidationError("--log-format needs a value: text or json") }
                named = arguments[index + 1]
                index += 2
            } else if argument.hasPrefix("--log-format=") {
                named = String(argument.dropFirst("--log-format=".count))
                index += 1
            } else {
                rest.append(argument)
                index += 1
            }
        }
        guard let format = LogFormat(rawValue: named ?? "text") else {
            throw ValidationError("--log-format (or TMWS_LOG_FORMAT) must be text or json, not \((named ?? "").prefix(32))")
        }
        return (rest, format)
    }

    static var logger: Logger { Logger(label: "tmwsctl") }
}
