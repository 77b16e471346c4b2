import PostgresNIO
import TMWSStorage

extension PostgresStore: SchemaVerifying {
    /// The deployment guide's "Schema Verification" checks, read from PostgreSQL's catalogs: the
    /// revision is at head; the `agents.role` column (text NOT NULL DEFAULT 'viewer') and its index
    /// `ix_agents_role`; the `agents.tier` column and `ix_agents_tier`; `license_keys` (15 columns,
    /// 5 indexes besides the primary key) and `license_usage_history` (7 columns, 3 indexes); and,
    /// in place of SQLite's `quick_check`, that no index of the schema is invalid.
    public func verifySchema() async throws -> [SchemaCheck] {
        try await run { connection in
            let hasRevisionTable = try await self.fetchOne(connection, "SELECT to_regclass('alembic_version') IS NOT NULL") {
                try $0.next(Bool.self)
            }
            let revision = hasRevisionTable == true
                ? try await self.fetchOne(connection, "SELECT version_num FROM alembic_version") { try $0.next(String.self) } : nil
            var checks = [
                SchemaCheck(
                    name: "revision at head", passed: revision == SchemaRevision.head,
                    expected: "\(SchemaRevision.head) (head)", found: revision ?? "none")
            ]
            checks.append(try await self.column(connection, table: "agents", name: "role", defaultValue: "'viewer'::text"))
            checks.append(try await self.index(connection, table: "agents", name: "ix_agents_role", columns: ["role"]))
            checks.append(try await self.column(connection, table: "agents", name: "tier", defaultValue: "'FREE'::text"))
            checks.append(try await self.index(connection, table: "agents", name: "ix_agents_tier", columns: ["tier"]))
            checks.append(try await self.table(connection, "license_keys", columns: 15, indexes: 5))
            checks.append(try await self.table(connection, "license_usage_history", columns: 7, indexes: 3))
            let invalid = try await self.fetch(
                connection,
                """
                SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace
                """
            ) { try $0.next(String.self) }
            checks.append(
                SchemaCheck(
                    name: "integrity (no invalid index)", passed: invalid.isEmpty, expected: "ok",
                    found: invalid.isEmpty ? "ok" : "invalid: " + invalid.prefix(3).joined(separator: ", ")))
            return checks
        }
    }

    private func column(_ connection: PostgresConnection, table: String, name: String, defaultValue: String) async throws -> SchemaCheck {
        let expected = "\(name)|text|1|\(defaultValue)"
        let found = try await fetchOne(
            connection,
            """
            SELECT data_type::text, is_nullable::text, column_default::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table) AND column_name = \(name)
            """
        ) { row in
            let type: String = try row.next()
            let nullable: String = try row.next()
            let defaultValue: String? = try row.next()
            return "\(name)|\(type)|\(nullable == "NO" ? 1 : 0)|\(defaultValue ?? "NULL")"
        }
        return SchemaCheck(name: "\(table).\(name) column", passed: found == expected, expected: expected, found: found ?? "missing")
    }

    private func index(_ connection: PostgresConnection, table: String, name: String, columns: [String]) async throws -> SchemaCheck {
        let expected = "\(name) ON \(table) (\(columns.joined(separator: ", ")))"
        let indexed = try await fetch(
            connection,
            """
            SELECT a.attname::text FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE ic.relname = \(name) AND t.relname = \(table) AND t.relnamespace = current_schema()::regnamespace
            ORDER BY k.position
            """
        ) { try $0.next(String.self) }
        guard !indexed.isEmpty else {
            return SchemaCheck(name: "\(name) index", passed: false, expected: expected, found: "missing")
        }
        let found = "\(name) ON \(table) (\(indexed.joined(separator: ", ")))"
        return SchemaCheck(name: "\(name) index", passed: indexed == columns, expected: expected, found: found)
    }

    private func table(_ connection: PostgresConnection, _ name: String, columns: Int, indexes: Int) async throws -> SchemaCheck {
        let expected = "\(columns) columns, \(indexes) indexes"
        let counts = try await fetchOne(
            connection,
            """
            SELECT
                (SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(name)),
                (SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                 WHERE t.relname = \(name) AND t.relnamespace = current_schema()::regnamespace AND NOT i.indisprimary)
            """
        ) { row in (try row.next(Int64.self), try row.next(Int64.self)) }
        guard let counts, counts.0 > 0 else {
            return SchemaCheck(name: "\(name) table", passed: false, expected: expected, found: "missing")
        }
        let found = "\(counts.0) columns, \(counts.1) indexes"
        return SchemaCheck(name: "\(name) table", passed: found == expected, expected: expected, found: found)
    }
}
