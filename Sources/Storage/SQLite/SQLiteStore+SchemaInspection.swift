import Foundation
import GRDB

extension SQLiteStore: SchemaVerifying {
    /// The deployment guide's "Schema Verification" checks, as data: the seed revision is at head; the
    /// `agents.role` column (TEXT NOT NULL DEFAULT 'viewer') and its index `ix_agents_role`; the
    /// `agents.tier` column and `ix_agents_tier`; `license_keys` (15 columns, 5 indexes) and
    /// `license_usage_history` (7 columns, 3 indexes); the extension track at its head; and SQLite's
    /// `PRAGMA quick_check`.
    ///
    /// Never throws for a failed check, only when the database cannot be read.
    public func verifySchema() async throws -> [SchemaCheck] {
        try await read { db in try Self.schemaChecks(db) }
    }

    public func rowCount(of table: String) async throws -> Int? {
        try SchemaRevision.checkTable(table)
        return try await read { db in
            guard try db.tableExists(table) else { return nil }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0
        }
    }

    static func schemaChecks(_ db: Database) throws -> [SchemaCheck] {
        try SchemaExpectation.deploymentGuide.map { expectation in
            switch expectation {
            case .revisionAtHead(let track):
                let revision =
                    try db.tableExists(track.versionTable)
                    ? try String.fetchOne(db, sql: "SELECT version_num FROM \(track.versionTable)") : nil
                return .revision(found: revision, track: track)
            case .textColumn(let table, let name, let defaultValue):
                let row = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").first { ($0["name"] as String?) == name }
                let found = row.map { "\(name)|\($0["type"] as String? ?? "")|\($0["notnull"] as Int? ?? 0)|\($0["dflt_value"] as String? ?? "NULL")" }
                return .column(table: table, name: name, expected: "\(name)|TEXT|1|'\(defaultValue)'", found: found)
            case .index(let table, let name, let columns):
                let names = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list(?)", arguments: [table])
                let indexed =
                    names.contains(name)
                    ? try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?) ORDER BY seqno", arguments: [name]) : []
                return .index(table: table, name: name, columns: columns, indexed: indexed)
            case .table(let name, let columns, let indexes):
                guard try db.tableExists(name) else { return .table(name, columns: columns, indexes: indexes, counts: nil) }
                let columnCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pragma_table_info(?)", arguments: [name]) ?? 0
                let indexCount =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM pragma_index_list(?) WHERE origin = 'c'", arguments: [name]) ?? 0
                return .table(name, columns: columns, indexes: indexes, counts: (columnCount, indexCount))
            case .integrity:
                let quick = try String.fetchAll(db, sql: "PRAGMA quick_check")
                return SchemaCheck(
                    name: "integrity (quick_check)", passed: quick == ["ok"], expected: "ok", found: quick.prefix(3).joined(separator: "; "))
            }
        }
    }
}
