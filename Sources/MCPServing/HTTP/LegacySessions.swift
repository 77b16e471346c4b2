import Crypto
import Foundation
import Synchronization

/// The legacy (2025-11-25 and earlier) Streamable HTTP sessions: each bound to the credential
/// that opened it, capped per owner and in total, with the requests under way by id.
///
/// One lock guards everything, so a cap is checked and a session inserted in one step (no
/// window between the two), and a request id is claimed or refused (`409`) atomically. Session
/// ids are 256 random bits; they are never logged.
public final class LegacySessions: Sendable {
    /// Limits on sessions.
    public struct Limits: Sendable {
        /// The most sessions kept at once (a hard cap).
        public var total: Int
        /// The most sessions one owner (agent) may keep at once.
        public var perOwner: Int
        /// A session unused for this long ends.
        public var idleTimeout: Duration

        public init(total: Int = 10_000, perOwner: Int = 32, idleTimeout: Duration = .seconds(1800)) {
            self.total = total
            self.perOwner = perOwner
            self.idleTimeout = idleTimeout
        }
    }

    /// Why a session could not be opened.
    public enum OpenRefusal: Error, Sendable { case totalLimit, ownerLimit }

    /// The outcome of presenting a session id with a request.
    public enum Admission: Sendable, Equatable {
        /// The session exists and belongs to this credential; its negotiated version.
        case admitted(version: String)
        case unknown
        /// The session belongs to another credential (or the request has none).
        case wrongCredential
        /// A request with this id is already under way in the session.
        case duplicateID
    }

    private struct Session {
        let credential: SHA256Digest
        let owner: String
        let version: String
        var lastUsed: ContinuousClock.Instant
        var running: Set<RequestID> = []
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var perOwner: [String: Int] = [:]
    }

    public let limits: Limits
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The number of open sessions.
    public var count: Int { state.withLock { $0.sessions.count } }

    /// The digest a session keeps of the credential that opened it.
    static func digest(_ credential: String) -> SHA256Digest { SHA256.hash(data: Data(credential.utf8)) }

    /// Opens a session for `owner`, bound to `credential`, at the negotiated `version`.
    /// - Returns: the new session id.
    public func open(owner: String, credential: String, version: String) throws(OpenRefusal) -> String {
        let id = Self.newID()
        let digest = Self.digest(credential)
        try state.withLock { (state: inout State) throws(OpenRefusal) in
            guard state.sessions.count < limits.total else { throw .totalLimit }
            guard state.perOwner[owner, default: 0] < limits.perOwner else { throw .ownerLimit }
            state.sessions[id] = Session(credential: digest, owner: owner, version: version, lastUsed: .now)
            state.perOwner[owner, default: 0] += 1
        }
        return id
    }

    /// Checks a request on session `id`: the credential must be the one that opened it, and a
    /// request id (when given) must not already be under way; it is claimed until ``finish(_:request:)``.
    public func admit(_ id: String, credential: String?, request: RequestID?) -> Admission {
        let digest = credential.map(Self.digest)
        return state.withLock { state in
            guard var session = state.sessions[id] else { return .unknown }
            guard let digest, digest == session.credential else { return .wrongCredential }
            if let request {
                guard session.running.insert(request).inserted else { return .duplicateID }
            }
            session.lastUsed = .now
            state.sessions[id] = session
            return .admitted(version: session.version)
        }
    }

    /// Releases a request id claimed by ``admit(_:credential:request:)``.
    public func finish(_ id: String, request: RequestID) {
        state.withLock { state in
            state.sessions[id]?.running.remove(request)
            state.sessions[id]?.lastUsed = .now
        }
    }

    /// Ends session `id` if `credential` opened it.
    public func close(_ id: String, credential: String?) -> Admission {
        let digest = credential.map(Self.digest)
        return state.withLock { state in
            guard let session = state.sessions[id] else { return .unknown }
            guard let digest, digest == session.credential else { return .wrongCredential }
            Self.remove(id, session, from: &state)
            return .admitted(version: session.version)
        }
    }

    /// Ends the sessions idle for longer than the timeout; returns how many.
    @discardableResult
    public func expireIdle(now: ContinuousClock.Instant = .now) -> Int {
        let cutoff = now - limits.idleTimeout
        return state.withLock { state in
            let idle = state.sessions.filter { $0.value.lastUsed < cutoff && $0.value.running.isEmpty }
            for (id, session) in idle { Self.remove(id, session, from: &state) }
            return idle.count
        }
    }

    /// Ends every session.
    public func removeAll() {
        state.withLock { $0 = State() }
    }

    private static func remove(_ id: String, _ session: Session, from state: inout State) {
        state.sessions[id] = nil
        let remaining = state.perOwner[session.owner, default: 1] - 1
        state.perOwner[session.owner] = remaining > 0 ? remaining : nil
    }

    /// 32 random bytes, base64url without padding (visible ASCII, as the header requires).
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
