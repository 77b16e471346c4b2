/// A store that can check its own schema against what this code needs.
public protocol SchemaVerifying: Sendable {
    /// The deployment guide's "Schema Verification" checks, as data. Never throws for a failed
    /// check, only when the database cannot be read.
    func verifySchema() async throws -> [SchemaCheck]
}

/// One schema verification check: what was checked, whether it passed, and what was found.
public struct SchemaCheck: Sendable, Hashable {
    /// A short stable name, e.g. `agents.role column`.
    public let name: String
    /// Whether the database passed.
    public let passed: Bool
    /// What was expected.
    public let expected: String
    /// What was found.
    public let found: String

    public init(name: String, passed: Bool, expected: String, found: String) {
        self.name = name
        self.passed = passed
        self.expected = expected
        self.found = found
    }
}
