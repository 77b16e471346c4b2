import Foundation

/// Where the database is, as configured by `--db` or `TMWS_DATABASE_URL`.
///
/// Accepted forms: `sqlite+aiosqlite:///PATH` (the Python deployment's form), `sqlite:///PATH`,
/// a plain path (`~` is expanded), `:memory:` (also `sqlite:///:memory:`) for the in-memory
/// backend, and `postgres://…` or `postgresql://…` for PostgreSQL (opened by the
/// `TMWSStoragePostgres` module, which parses the rest of the URL). In the URL forms, what follows the third slash is the path, so `sqlite:////abs/tmws.db`
/// is absolute and `sqlite:///rel/tmws.db` is relative, as in SQLAlchemy.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A SQLite database file.
    case sqliteFile(path: String)
    /// The in-memory backend (``MemoryStore``).
    case memory
    /// A PostgreSQL database, by its `postgres://` or `postgresql://` URL (which may hold a password:
    /// ``description`` hides it).
    case postgres(url: String)

    /// The environment variable that names the database.
    public static let environmentVariable = "TMWS_DATABASE_URL"

    /// `~/.tmws/data/tmws.db`.
    public static var defaultPath: String {
        homeDirectory + "/.tmws/data/tmws.db"
    }

    /// `$HOME` when set, else the user's home directory from the password database.
    public static var homeDirectory: String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        return FileManager.default.homeDirectoryForCurrentUser.path
    }

    /// Parses a configured value.
    /// - Throws: ``StorageError`` `invalidArgument` for an empty value or an unsupported URL scheme.
    public init(parsing value: String) throws(StorageError) {
        let value = value.trimmingCharacters(in: .whitespaces)
        if value == ":memory:" {
            self = .memory
            return
        }
        for prefix in ["sqlite+aiosqlite:///", "sqlite:///"] where value.hasPrefix(prefix) {
            let rest = String(value.dropFirst(prefix.count))
            guard !rest.isEmpty else { throw StorageError(.invalidArgument, "the database URL \(value) has no path") }
            self = rest == ":memory:" ? .memory : .sqliteFile(path: Self.expand(rest))
            return
        }
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            self = .postgres(url: value)
            return
        }
        // `sqlite:/x`, `sqlite://x`, `SQLite:///x`, `sqlite+aiosqlite:/x`: a typo of a URL, not a
        // path (as a path it would create a directory named `sqlite:` and a new deployment in it).
        if value.lowercased().hasPrefix("sqlite") {
            throw StorageError(
                .invalidArgument,
                "'\(value.prefix(80))' is not a database URL this server reads: use sqlite:////ABSOLUTE/PATH (four slashes), "
                    + "sqlite:///RELATIVE/PATH (three: relative to the working directory, as in SQLAlchemy), "
                    + "sqlite+aiosqlite:///PATH, a plain path, :memory: or postgres://…")
        }
        if let scheme = value.range(of: "://") {
            throw StorageError(
                .invalidArgument,
                "unsupported database URL scheme '\(value[..<scheme.lowerBound])'; use sqlite:///PATH, a path, :memory: or postgres://…")
        }
        guard !value.isEmpty else { throw StorageError(.invalidArgument, "the database location is empty") }
        self = .sqliteFile(path: Self.expand(value))
    }

    /// The location from an explicit value, else `TMWS_DATABASE_URL`, else the default path.
    public static func resolve(
        _ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StorageError) -> DatabaseLocation {
        if let explicit { return try DatabaseLocation(parsing: explicit) }
        if let configured = environment[environmentVariable], !configured.isEmpty {
            return try DatabaseLocation(parsing: configured)
        }
        return .sqliteFile(path: defaultPath)
    }

    private static func expand(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return homeDirectory + path.dropFirst()
    }

    /// Whether this is the embedded default, `~/.tmws/data/tmws.db` (the only place `mcp-server`
    /// creates a database on its own).
    public var isDefault: Bool {
        if case .sqliteFile(let path) = self { return path == Self.defaultPath }
        return false
    }

    /// How a start-up log names the location: the path (saying when it is relative, and to which
    /// directory), `:memory:`, or the URL without its password.
    public var logDescription: String {
        switch self {
        case .sqliteFile(let path) where !path.hasPrefix("/"):
            "\(path) (a relative path, under the working directory \(FileManager.default.currentDirectoryPath))"
        case .sqliteFile(let path): "\(path) (SQLite file)"
        case .memory: ":memory: (in memory, gone when the process ends)"
        case .postgres(let url): "\(Self.redactingPassword(url)) (PostgreSQL)"
        }
    }

    public var description: String {
        switch self {
        case .sqliteFile(let path): path
        case .memory: ":memory:"
        case .postgres(let url): Self.redactingPassword(url)
        }
    }

    /// The same as ``description``: a PostgreSQL password never reaches a log, even through `String(reflecting:)`.
    public var debugDescription: String { description }

    /// The URL with the password, if any, replaced by `***`.
    static func redactingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest[..<(rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<authority.index(after: colon)]) + "***" + String(url[at...])
    }
}
