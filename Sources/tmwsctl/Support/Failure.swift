import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// A failure a command reports itself: a message naming the problem and the fix, and an exit status.
struct Failure: Error, CustomStringConvertible {
    /// Exit status 1: a check failed or an alert fired.
    static let checkFailed: Int32 = 1
    /// Exit status 2: bad usage or bad input; nothing was changed.
    static let badInput: Int32 = 2
    /// Exit status 3: the --as agent may not do this (permission denied, or not authenticated), so
    /// that a refusal is not read as an alert by `stats` in cron, or as an invalid key.
    static let refused: Int32 = 3

    let message: String
    let status: Int32

    init(_ message: String, status: Int32 = Failure.badInput) {
        self.message = message
        self.status = status
    }

    var description: String { message }

    /// The message (if any) and the exit status for any error a command throws. Help, version and
    /// completion requests are printed by argument-parser and exit 0; usage errors exit 2.
    static func report(for error: any Error) -> (message: String?, status: Int32) {
        switch error {
        case let error as Failure:
            return ("error: \(error.message)", error.status)
        case let error as ExitCode:
            return (nil, error.rawValue)
        case let error as LicenseError:
            return ("error: \(error.message)\(hint(for: error))", status(for: error))
        case let error as StorageError:
            return ("error: \(error.message)", status(for: error.code))
        case let error as ConfigurationError:
            return ("error: \(error.message)", badInput)
        case let error as AccessError:
            return ("error: \(error.message)", [.permissionDenied, .unauthenticated].contains(error.code) ? refused : checkFailed)
        default:
            let code = TMWSCtl.exitCode(for: error)
            if code == .success { TMWSCtl.exit(withError: error) }
            let message = TMWSCtl.fullMessage(for: error)
            if code == .validationFailure { return (message.isEmpty ? nil : message, badInput) }
            return (message.isEmpty ? "error: \(String(describing: type(of: error)))" : "error: \(message)", code.rawValue)
        }
    }

    static func status(for error: LicenseError) -> Int32 {
        switch error.code {
        case .invalidArgument, .notFound: badInput
        case .permissionDenied, .unauthenticated: refused
        default: checkFailed
        }
    }

    static func status(for code: StorageError.Code) -> Int32 {
        switch code {
        case .invalidArgument, .notFound, .conflict, .corrupt, .schemaMismatch: badInput
        default: checkFailed
        }
    }

    static func hint(for error: LicenseError) -> String {
        switch error.code {
        case .permissionDenied:
            " (the --as agent lacks the role for this: pass --as an admin agent, see `tmwsctl agent list --role admin`;"
                + " when none is left, `tmwsctl init` gives the bootstrap admin its role back)"
        case .unavailable: " (is the database reachable and at head? try `tmwsctl migrate status`)"
        default: ""
        }
    }
}
