/// A deployment that cannot be opened as configured: what is wrong, in words that name the fix,
/// and a stable ``Code`` to match on (the message may change; the code does not).
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable category of configuration failure. New codes may be added; match with `==`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case missingDatabase, needsMigration, missingSecret, invalidSecret, wrongSecret, unsupportedLocation, fileAccess
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No database where one is expected (or an empty one), and creating one was not asked for.
        public static let missingDatabase = Code(.missingDatabase)
        /// The database is at an older schema revision and upgrading it was not asked for.
        public static let needsMigration = Code(.needsMigration)
        /// No signing secret is configured or found where an existing deployment needs one.
        public static let missingSecret = Code(.missingSecret)
        /// The signing secret is too short, unreadable, or configured twice.
        public static let invalidSecret = Code(.invalidSecret)
        /// The signing secret is not the one the deployment was created with (its fingerprint,
        /// kept in the database, differs): every issued key would fail with `BAD_SIGNATURE`.
        public static let wrongSecret = Code(.wrongSecret)
        /// The location cannot be used this way (PostgreSQL without the `TMWS` module, schema
        /// commands on `:memory:`).
        public static let unsupportedLocation = Code(.unsupportedLocation)
        /// A file the deployment needs (a key or secret file) cannot be created or written.
        public static let fileAccess = Code(.fileAccess)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "configuration error (\(code)): \(message)" }

    /// Errors are equal when their codes are: messages are for people.
    public static func == (lhs: ConfigurationError, rhs: ConfigurationError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
