/// An error thrown by a ``Store``.
///
/// Every backend throws the same codes for the same situations, so callers can switch on
/// ``code`` without knowing which backend they talk to. Equality compares the code only.
///
/// ```swift
/// do { _ = try await store.insertLicense(newLicense) }
/// catch let error as StorageError where error.code == .conflict { … }
/// ```
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable category of storage failure. New codes may be added; match with `==`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notFound, conflict, unavailable, corrupt, invalidArgument, schemaMismatch, internalError
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The row the operation needs does not exist.
        public static let notFound = Code(.notFound)
        /// A unique value (an id, an agent name, a key hash) is already taken.
        public static let conflict = Code(.conflict)
        /// The database cannot be reached now: locked past the busy timeout, disk full, I/O error,
        /// read-only file, or closed. Retrying later may succeed.
        public static let unavailable = Code(.unavailable)
        /// The database file or a stored value is damaged or not a TMWS database.
        public static let corrupt = Code(.corrupt)
        /// An argument is out of range, or a pagination cursor is not one this store issued.
        public static let invalidArgument = Code(.invalidArgument)
        /// The database schema is not at the revision this code needs (run the migrations).
        public static let schemaMismatch = Code(.schemaMismatch)
        /// Anything else: a bug or an unexpected database answer.
        public static let internalError = Code(.internalError)

        public var description: String { base.rawValue }
    }

    /// The stable category of the failure.
    public let code: Code
    /// A human-readable explanation. Never contains a key, hash or secret.
    public let message: String
    /// The underlying error, when there is one (for example a GRDB `DatabaseError`).
    public let underlying: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "StorageError.\(code): \(message)" }

    public var debugDescription: String {
        guard let underlying else { return description }
        return "\(description) (underlying: \(String(reflecting: underlying)))"
    }

    public static func == (lhs: StorageError, rhs: StorageError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
