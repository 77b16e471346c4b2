import Foundation
import TMWSStorage

/// An authenticated caller: the UUID of an agent, established from a credential.
///
/// Obtain one from ``APIKeyAuthenticator/authenticate(_:)``. Trusted local tools that already
/// hold the database (such as `tmwsctl --as NAME`) may create one for a known agent; nothing a
/// remote caller says may ever become a principal. A principal carries no role or namespace: the
/// ``Authorizer`` reads those from storage on every check.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    /// The agent's UUID (`agents.id`).
    public let agentID: UUID
    /// The API key that authenticated the caller, when one did.
    public let keyID: UUID?

    public init(agentID: UUID, keyID: UUID? = nil) {
        self.agentID = agentID
        self.keyID = keyID
    }

    public var description: String { "agent \(agentID.canonicalText)" }
}
