import Foundation
import GRDB

extension SQLiteStore: SchemaVerifying {
    /// The deployment guide's "Schema Verification" checks, as data: the revision is at head; the
    /// `agents.role` column (TEXT NOT NULL DEFAULT 'viewer') and its index `ix_agents_role`; the
    /// `agents.tier` column and `ix_agents_tier`; `license_keys` (15 columns, 5 indexes) and
    /// `license_usage_history` (7 columns, 3 indexes); and SQLite's `PRAGMA quick_check`.
    ///
    /// Never throws for a failed check, only when the database cannot be read.
    public func verifySchema() async throws -> [SchemaCheck] {
        try await read { db in try Self.schemaChecks(db) }
    }

    static func schemaChecks(_ db: Database) throws -> [SchemaCheck] {
        var checks: [SchemaCheck] = []
        let revision = try db.tableExists("alembic_version")
            ? try String.fetchOne(db, sql: "SELECT version_num FROM alembic_version") : nil
        checks.append(
            SchemaCheck(
                name: "revision at head", passed: revision == SchemaRevision.head,
                expected: "\(SchemaRevision.head) (head)", found: revision ?? "none"))
        checks.append(try column(db, table: "agents", name: "role", type: "TEXT", defaultValue: "'viewer'"))
        checks.append(try index(db, table: "agents", name: "ix_agents_role", columns: ["role"]))
        checks.append(try column(db, table: "agents", name: "tier", type: "TEXT", defaultValue: "'FREE'"))
        checks.append(try index(db, table: "agents", name: "ix_agents_tier", columns: ["tier"]))
        checks.append(try table(db, "license_keys", columns: 15, indexes: 5))
        checks.append(try table(db, "license_usage_history", columns: 7, indexes: 3))
        let quick = try String.fetchAll(db, sql: "PRAGMA quick_check")
        checks.append(
            SchemaCheck(
                name: "integrity (quick_check)", passed: quick == ["ok"], expected: "ok",
                found: quick.prefix(3).joined(separator: "; ")))
        return checks
    }

    private static func column(_ db: Database, table: String, name: String, type: String, defaultValue: String) throws -> SchemaCheck {
        let expected = "\(name)|\(type)|1|\(defaultValue)"
        let rows = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))")
        guard let row = rows.first(where: { ($0["name"] as String?) == name }) else {
            return SchemaCheck(name: "\(table).\(name) column", passed: false, expected: expected, found: "missing")
        }
        let found = "\(name)|\(row["type"] as String? ?? "")|\(row["notnull"] as Int? ?? 0)|\(row["dflt_value"] as String? ?? "NULL")"
        return SchemaCheck(name: "\(table).\(name) column", passed: found == expected, expected: expected, found: found)
    }

    private static func index(_ db: Database, table: String, name: String, columns: [String]) throws -> SchemaCheck {
        let expected = "\(name) ON \(table) (\(columns.joined(separator: ", ")))"
        let names = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list(?)", arguments: [table])
        guard names.contains(name) else {
            return SchemaCheck(name: "\(name) index", passed: false, expected: expected, found: "missing")
        }
        let indexed = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?) ORDER BY seqno", arguments: [name])
        let found = "\(name) ON \(table) (\(indexed.joined(separator: ", ")))"
        return SchemaCheck(name: "\(name) index", passed: indexed == columns, expected: expected, found: found)
    }

    private static func table(_ db: Database, _ name: String, columns: Int, indexes: Int) throws -> SchemaCheck {
        let expected = "\(columns) columns, \(indexes) indexes"
        guard try db.tableExists(name) else {
            return SchemaCheck(name: "\(name) table", passed: false, expected: expected, found: "missing")
        }
        let columnCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pragma_table_info(?)", arguments: [name]) ?? 0
        let indexCount = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM pragma_index_list(?) WHERE origin = 'c'", arguments: [name]) ?? 0
        let found = "\(columnCount) columns, \(indexCount) indexes"
        return SchemaCheck(name: "\(name) table", passed: found == expected, expected: expected, found: found)
    }
}
