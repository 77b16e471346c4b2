import TMWSRBAC
import TMWSStorage

/// The error of every ``LicenseService`` operation. Its codes map one to one to the MCP tools'
/// error codes (``Code/toolCode``). Descriptions never contain a key or a secret.
public struct LicenseError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable category. New codes may be added; match with `==`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code as tools report it: `UNAUTHENTICATED`, `PERMISSION_DENIED`, …
        public let toolCode: String
        private init(_ toolCode: String) { self.toolCode = toolCode }

        /// No valid credential.
        public static let unauthenticated = Code("UNAUTHENTICATED")
        /// The caller may not do this (see ``LicenseError/reason``).
        public static let permissionDenied = Code("PERMISSION_DENIED")
        /// The license or agent does not exist.
        public static let notFound = Code("NOT_FOUND")
        /// An argument is out of range or malformed (a tier, a day count, a limit, a cursor…).
        public static let invalidArgument = Code("INVALID_ARGUMENT")
        /// Storage is unreachable or failing; nothing was decided in the caller's favour.
        public static let unavailable = Code("UNAVAILABLE")
        /// An unexpected failure.
        public static let internalError = Code("INTERNAL")

        public var description: String { toolCode }
    }

    public let code: Code
    public let message: String
    /// For `permissionDenied`, the policy's reason code.
    public let reason: AccessReason?
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, reason: AccessReason? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
        self.underlying = underlying
    }

    /// Maps an error from the layers below to the code a caller sees.
    public init(mapping error: any Error) {
        switch error {
        case let error as LicenseError:
            self = error
        case let error as AccessError:
            switch error.code {
            case .unauthenticated: self.init(.unauthenticated, error.message, underlying: error)
            case .permissionDenied: self.init(.permissionDenied, error.message, reason: error.reason, underlying: error)
            case .unavailable: self.init(.unavailable, "storage is unavailable; try again later", underlying: error)
            default: self.init(.internalError, error.message, underlying: error)
            }
        case let error as StorageError:
            switch error.code {
            case .notFound: self.init(.notFound, error.message, underlying: error)
            case .invalidArgument: self.init(.invalidArgument, error.message, underlying: error)
            case .conflict: self.init(.invalidArgument, "already exists: \(error.message)", underlying: error)
            case .unavailable, .corrupt, .schemaMismatch:
                self.init(.unavailable, "storage is unavailable: \(error.message)", underlying: error)
            default: self.init(.internalError, "storage failed unexpectedly", underlying: error)
            }
        default:
            self.init(.internalError, "unexpected failure", underlying: error)
        }
    }

    public var description: String { "\(code.toolCode): \(message)" }

    public var debugDescription: String {
        guard let underlying else { return description }
        return "\(description) (underlying: \(String(reflecting: underlying)))"
    }

    public static func == (lhs: LicenseError, rhs: LicenseError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
