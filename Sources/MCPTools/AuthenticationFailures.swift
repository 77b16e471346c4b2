import Foundation
import Logging
import Synchronization
import TMWSMCPServing
import TMWSRBAC

/// Failed authentications of tool calls: counted, and logged at warning with what was presented
/// in a form that names no secret — the key's display prefix (`tmws_ak_` and 8 characters, as
/// `tmwsctl agent show` lists it) for a key of the right shape, else only its length. At most one
/// line per second is written, with a count of the lines left out, so that a flood of bad keys
/// does not also flood the log.
public final class AuthenticationFailures: Sendable {
    private struct State {
        var count = 0
        var lastLogged: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let state = Mutex(State())
    private let interval: Duration = .seconds(1)

    public init() {}

    /// Failed authentications so far.
    public var count: Int { state.withLock { $0.count } }

    /// Counts one failure and logs it unless a line was written less than a second ago.
    func record(tool: String, credential: String?, reason: String, logger: Logger) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { state in
            state.count += 1
            if let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state.suppressed = 0 }
            state.lastLogged = now
            return state.suppressed
        }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = ["tool": "\(tool)", "presented": "\(Self.describe(credential))"]
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("authentication failed: \(reason)", metadata: metadata)
    }

    /// What was presented, without the secret.
    static func describe(_ credential: String?) -> String {
        guard let credential else { return "no key" }
        if credential == ToolCallContext.malformedCredential { return "an Authorization header that is not Bearer" }
        guard APIKeyAuthenticator.isWellFormed(credential) else { return "not a TMWS API key (\(credential.utf8.count) bytes)" }
        return "key \(credential.prefix(APIKeyAuthenticator.displayPrefixLength))…"
    }
}
