import Foundation
import Logging

/// Logging goes to standard error only; standard output is for command results.
enum LogSetup {
    /// Bootstraps swift-log once, at `TMWS_LOG_LEVEL` (default `warning`).
    static func bootstrap() {
        let level = ProcessInfo.processInfo.environment["TMWS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    static var logger: Logger { Logger(label: "tmwsctl") }
}
