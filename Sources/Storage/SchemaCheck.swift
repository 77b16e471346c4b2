/// A store that can check its own schema against what this code needs.
public protocol SchemaVerifying: Sendable {
    /// The deployment guide's "Schema Verification" checks, as data. Never throws for a failed
    /// check, only when the database cannot be read.
    func verifySchema() async throws -> [SchemaCheck]

    /// The rows in one of the seed's tables (``SchemaRevision/tables``), or `nil` when the table
    /// does not exist. What `tmwsctl migrate down` reports before it removes a table or a column.
    /// - Throws: `invalidArgument` for any other table name.
    func rowCount(of table: String) async throws -> Int?
}

extension SchemaRevision {
    /// Refuses a table name that is not one of the seed's (it is put into SQL text).
    package static func checkTable(_ table: String) throws(StorageError) {
        guard tables.contains(table) else { throw StorageError(.invalidArgument, "'\(table.prefix(64))' is not one of the schema's tables") }
    }
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

/// What the deployment guide's "Schema Verification" section expects, as one list: every backend
/// probes these, in this order, each in its own catalog, and reports one ``SchemaCheck`` apiece.
package enum SchemaExpectation: Sendable, Hashable {
    /// The track's version table names its head (`alembic_version` names ``SchemaRevision/head``).
    case revisionAtHead(MigrationTrack)
    /// A `TEXT NOT NULL` column with a string default.
    case textColumn(table: String, name: String, defaultValue: String)
    /// An index on `columns`, in order.
    case index(table: String, name: String, columns: [String])
    /// A table with this many columns and secondary indexes.
    case table(name: String, columns: Int, indexes: Int)
    /// The backend's own integrity check.
    case integrity

    /// The guide's checks, and the extension track's revision.
    package static let deploymentGuide: [SchemaExpectation] = [
        .revisionAtHead(.seed),
        .textColumn(table: "agents", name: "role", defaultValue: "viewer"),
        .index(table: "agents", name: "ix_agents_role", columns: ["role"]),
        .textColumn(table: "agents", name: "tier", defaultValue: "FREE"),
        .index(table: "agents", name: "ix_agents_tier", columns: ["tier"]),
        .table(name: "license_keys", columns: 15, indexes: 5),
        .table(name: "license_usage_history", columns: 7, indexes: 3),
        .revisionAtHead(.extensions),
        .integrity,
    ]
}

extension SchemaCheck {
    /// A track's revision check, for the revision a backend read (`nil`: no version table or row).
    /// The seed's is named `revision at head`, the extension track's `extension revision at head`.
    package static func revision(found revision: String?, track: MigrationTrack = .seed) -> SchemaCheck {
        SchemaCheck(
            name: track == .seed ? "revision at head" : "\(track) revision at head", passed: revision == track.head,
            expected: "\(track.head) (head)", found: revision ?? "none")
    }

    /// A column check: `found` is the backend's `name|type|notnull|default` text, `nil` when missing.
    package static func column(table: String, name: String, expected: String, found: String?) -> SchemaCheck {
        SchemaCheck(name: "\(table).\(name) column", passed: found == expected, expected: expected, found: found ?? "missing")
    }

    /// An index check: `indexed` is the columns found, in order (empty when the index is missing).
    package static func index(table: String, name: String, columns: [String], indexed: [String]) -> SchemaCheck {
        let expected = "\(name) ON \(table) (\(columns.joined(separator: ", ")))"
        guard !indexed.isEmpty else { return SchemaCheck(name: "\(name) index", passed: false, expected: expected, found: "missing") }
        let found = "\(name) ON \(table) (\(indexed.joined(separator: ", ")))"
        return SchemaCheck(name: "\(name) index", passed: indexed == columns, expected: expected, found: found)
    }

    /// A table check: `counts` is (columns, secondary indexes), `nil` when the table is missing.
    package static func table(_ name: String, columns: Int, indexes: Int, counts: (columns: Int, indexes: Int)?) -> SchemaCheck {
        let expected = "\(columns) columns, \(indexes) indexes"
        guard let counts else { return SchemaCheck(name: "\(name) table", passed: false, expected: expected, found: "missing") }
        let found = "\(counts.columns) columns, \(counts.indexes) indexes"
        return SchemaCheck(name: "\(name) table", passed: found == expected, expected: expected, found: found)
    }
}
