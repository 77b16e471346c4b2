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
            var checks: [SchemaCheck] = []
            for expectation in SchemaExpectation.deploymentGuide {
                checks.append(try await self.probe(expectation, connection))
            }
            return checks
        }
    }

    public func rowCount(of table: String) async throws -> Int? {
        try SchemaRevision.checkTable(table)
        return try await run { connection in
            let exists = try await self.fetchOne(connection, "SELECT to_regclass(\(table)) IS NOT NULL") { try $0.next(Bool.self) }
            guard exists == true else { return nil }
            return try await self.fetchOne(connection, PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \"\(table)\"")) { try $0.next(Int.self) }
        }
    }

    private func probe(_ expectation: SchemaExpectation, _ connection: PostgresConnection) async throws -> SchemaCheck {
        switch expectation {
        case .revisionAtHead(let track):
            let hasRevisionTable = try await fetchOne(connection, "SELECT to_regclass(\(track.versionTable)) IS NOT NULL") {
                try $0.next(Bool.self)
            }
            let revision =
                hasRevisionTable == true
                ? try await fetchOne(connection, "SELECT version_num FROM \(unescaped: track.versionTable)") { try $0.next(String.self) } : nil
            return .revision(found: revision, track: track)
        case .textColumn(let table, let name, let defaultValue):
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
            return .column(table: table, name: name, expected: "\(name)|text|1|'\(defaultValue)'::text", found: found)
        case .index(let table, let name, let columns):
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
            return .index(table: table, name: name, columns: columns, indexed: indexed)
        case .table(let name, let columns, let indexes):
            let counts = try await fetchOne(
                connection,
                """
                SELECT
                    (SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(name)),
                    (SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                     WHERE t.relname = \(name) AND t.relnamespace = current_schema()::regnamespace AND NOT i.indisprimary)
                """
            ) { row in (try row.next(Int64.self), try row.next(Int64.self)) }
            let found = counts.flatMap { $0.0 > 0 ? (columns: Int($0.0), indexes: Int($0.1)) : nil }
            return .table(name, columns: columns, indexes: indexes, counts: found)
        case .integrity:
            let invalid = try await fetch(
                connection,
                """
                SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace
                """
            ) { try $0.next(String.self) }
            return SchemaCheck(
                name: "integrity (no invalid index)", passed: invalid.isEmpty, expected: "ok",
                found: invalid.isEmpty ? "ok" : "invalid: " + invalid.prefix(3).joined(separator: ", "))
        }
    }
}
