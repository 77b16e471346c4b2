/// An error from authentication or authorization.
///
/// Descriptions never contain a key, a key hash or a secret. Equality compares the code.
public struct AccessError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable category. New codes may be added; match with `==`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unauthenticated, permissionDenied, unavailable, internalError
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No valid credential: a missing, malformed, unknown or revoked key, or a suspended agent.
        /// Which of these it was is deliberately not said.
        public static let unauthenticated = Code(.unauthenticated)
        /// The caller is known but the policy denied the operation (see ``AccessError/reason``).
        public static let permissionDenied = Code(.permissionDenied)
        /// Storage failed while checking; the operation was denied.
        public static let unavailable = Code(.unavailable)
        /// An unexpected failure; the operation was denied.
        public static let internalError = Code(.internalError)

        public var description: String { base.rawValue }
    }

    /// The stable category.
    public let code: Code
    /// For `permissionDenied`, the policy's reason; `storage_unavailable` for `unavailable`.
    public let reason: AccessReason?
    /// A human-readable explanation.
    public let message: String
    /// The underlying error (a `StorageError` for `unavailable`), if any.
    public let underlying: (any Error)?

    public init(_ code: Code, reason: AccessReason? = nil, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.underlying = underlying
    }

    /// The error every refused API key returns, whatever the cause: unknown, revoked, malformed, or
    /// its agent suspended (they are not told apart).
    public static let unauthenticated = AccessError(
        .unauthenticated, "the API key was not accepted (it is unknown or revoked, or its agent is suspended)")

    /// No API key was presented.
    public static let noCredential = AccessError(
        .unauthenticated,
        "no API key was presented: send `Authorization: Bearer <API key>` over HTTP, or set TMWS_API_KEY or TMWS_API_KEY_FILE for stdio")

    /// An `Authorization` header that is not `Bearer <API key>` (e.g. `Basic …`, or `Bearer` alone).
    public static let malformedAuthorization = AccessError(
        .unauthenticated, "the Authorization header is not `Bearer <API key>`")

    public var description: String {
        reason.map { "AccessError.\(code) (\($0)): \(message)" } ?? "AccessError.\(code): \(message)"
    }

    public var debugDescription: String {
        guard let underlying else { return description }
        return "\(description) (underlying: \(String(reflecting: underlying)))"
    }

    public static func == (lhs: AccessError, rhs: AccessError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
