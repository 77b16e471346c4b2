import Foundation
import GRDBSQLite
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// The SQL of `spec/phase-2c-deployment-guide.md` (Schema Verification, Step 4, Key Metrics to
/// Monitor, Audit Log Monitoring) runs unchanged through the plain sqlite3 C API — as an operator
/// would run it with the `sqlite3` shell — against a database migrated and populated by the store.
@Suite struct SpecSQLTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/tmws.db"
    }

    // MARK: Schema Verification

    @Test func schemaVerification() async throws {
        let store = try await SQLiteStore.open(path: path, migrate: true)
        _ = try await store.createAgent(NewAgent(name: "someone", namespace: "default"))
        let sql = try RawSQLiteConnection(path: path)

        // sqlite3 tmws.db "PRAGMA table_info(agents);" | grep role
        // Should output: 24|role|TEXT|1|'viewer'|0 (the column id is the column's position: ours has fewer columns)
        let roleLines = try sql.run("PRAGMA table_info(agents);").map(RawSQLiteConnection.line).filter { $0.contains("role") }
        let roleRow = try sql.run("PRAGMA table_info(agents);").first { $0[1] == .text("role") }
        let cid = try #require(roleRow?.first)
        #expect(roleLines == ["\(cid)|role|TEXT|1|'viewer'|0"])

        // sqlite3 tmws.db ".schema agents" | grep ix_agents_role
        // Should output: CREATE INDEX ix_agents_role ON agents (role);
        let schema = try sql.run("SELECT sql FROM sqlite_master WHERE tbl_name = 'agents' AND sql IS NOT NULL")
            .map { RawSQLiteConnection.line($0) + ";" }
        #expect(schema.filter { $0.contains("ix_agents_role") } == ["CREATE INDEX ix_agents_role ON agents (role);"])

        // sqlite3 tmws.db ".tables" | grep license
        // Should output: license_keys license_usage_history
        let tables = try sql.run("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map(RawSQLiteConnection.line)
        #expect(tables.filter { $0.contains("license") } == ["license_keys", "license_usage_history"])

        // Key metric 4: SELECT version_num FROM alembic_version — alert if != '571948cc671b'
        #expect(try sql.run("SELECT version_num FROM alembic_version") == [[.text("571948cc671b")]])
    }

    // MARK: Step 4: Update Agent Roles

    @Test func step4RoleUpdates() async throws {
        let store = try await SQLiteStore.open(path: path, migrate: true)
        for name in ["your-agent-id", "admin-agent-id", "plain-viewer"] {
            _ = try await store.createAgent(NewAgent(name: name, namespace: "default"))
        }
        _ = try await store.createAgent(NewAgent(name: "born-admin", namespace: "default", role: "admin"))
        let sql = try RawSQLiteConnection(path: path)

        try sql.run(
            """
            UPDATE agents
            SET role = 'editor'
            WHERE agent_id = 'your-agent-id';
            """)
        #expect(sql.changes == 1)
        try sql.run(
            """
            UPDATE agents
            SET role = 'admin'
            WHERE agent_id = 'admin-agent-id';
            """)
        #expect(sql.changes == 1)

        let promoted = try sql.run("SELECT agent_id, role FROM agents WHERE role != 'viewer';")
        #expect(
            Set(promoted) == [
                [.text("your-agent-id"), .text("editor")], [.text("admin-agent-id"), .text("admin")],
                [.text("born-admin"), .text("admin")],
            ])
        #expect(promoted.count == 3)
        // The store reads what the operator wrote.
        #expect(try await store.agent(named: "your-agent-id")?.role == "editor")
        #expect(try await store.agent(named: "admin-agent-id")?.role == "admin")
        #expect(try await store.agent(named: "plain-viewer")?.role == "viewer")
    }

    // MARK: Monitoring & Alerts

    @Test func monitoringQueries() async throws {
        let start = Date()
        let clock = TestClock(start)
        let store = try await SQLiteStore.open(path: path, migrate: true, clock: clock.now)
        let viewer = try await store.createAgent(NewAgent(name: "viewer-1", namespace: "default"))
        let editor = try await store.createAgent(NewAgent(name: "editor-1", namespace: "default", role: "editor"))
        let admin = try await store.createAgent(NewAgent(name: "admin-1", namespace: "default", role: "admin"))

        func check(_ agent: Agent, _ operation: String, _ result: String, times: Int = 1) async throws {
            for _ in 0..<times {
                _ = try await store.appendAuditEvent(
                    NewAuditEvent(
                        eventType: "permission_check", severity: result == "DENY" ? .warning : .info, userID: agent.id,
                        details: ["operation": operation, "role": agent.role, "result": result, "reason": "test"]))
            }
        }
        // Two hours ago: outside every one-hour window.
        clock.set(start - 2 * 3600)
        try await check(viewer, "license:generate", "DENY", times: 5)
        try await check(editor, "agent:update:tier", "DENY", times: 2)
        try await check(viewer, "license:validate", "ALLOW")
        clock.set(start)
        // Within the last hour: 3 + 2 + 1 denials, 5 allowed checks.
        try await check(viewer, "license:generate", "DENY", times: 3)
        try await check(editor, "license:revoke", "DENY", times: 2)
        try await check(viewer, "system:audit", "DENY")
        try await check(viewer, "license:validate", "ALLOW", times: 4)
        try await check(admin, "license:revoke", "ALLOW")
        // Not a permission check, even though its details look like a denial; the newest event.
        clock.advance(by: 0.5)
        _ = try await store.appendAuditEvent(
            NewAuditEvent(
                eventType: "role_changed", userID: admin.id,
                details: ["operation": "license:generate", "role": "viewer", "result": "DENY"]))
        clock.set(start)

        // Licenses: 10 days ago (outside the 7-day window), 3 days ago, and now.
        var licenses: [License] = []
        func issue(_ tier: String, daysAgo: Double) async throws {
            clock.set(start - daysAgo * 86_400)
            licenses.append(
                try await store.insertLicense(
                    NewLicense(
                        id: UUID(), ownerID: editor.id, namespace: "default", tier: tier,
                        keyHash: String(repeating: "0", count: 62) + String(format: "%02d", licenses.count + 1),
                        issuedAt: clock.date, expiresAt: nil)))
        }
        for tier in ["FREE", "FREE", "PRO"] { try await issue(tier, daysAgo: 10) }
        for tier in ["PRO", "ENTERPRISE", "PRO"] { try await issue(tier, daysAgo: 3) }
        for tier in ["PRO", "FREE"] { try await issue(tier, daysAgo: 0) }
        clock.set(start)

        // Validations: 2 hours ago (excluded), then 3 valid and 2 invalid within the hour.
        func validate(_ license: License?, _ decision: ValidationDecision, times: Int = 1) async throws {
            for _ in 0..<times {
                _ = try await store.recordValidation(licenseID: license?.id, agentID: viewer.id, featureAccessed: "export") { _, _ in
                    decision
                }
            }
        }
        clock.set(start - 2 * 3600)
        try await validate(licenses[6], .invalid("BAD_SIGNATURE"), times: 4)
        try await validate(licenses[6], .valid)
        clock.set(start)
        try await validate(licenses[6], .valid, times: 3)
        try await validate(licenses[7], .invalid("EXPIRED"))
        try await validate(nil, .invalid("NOT_FOUND"))

        let sql = try RawSQLiteConnection(path: path)

        // 1. RBAC Permission Checks
        #expect(try sql.run("SELECT COUNT(*) FROM security_audit_logs WHERE event_type = 'permission_check'") == [[.integer(19)]])
        // 2. License Generation Rate
        #expect(try sql.run("SELECT COUNT(*) FROM license_keys WHERE created_at > datetime('now', '-1 day')") == [[.integer(2)]])
        // 3. License Validation Failures
        #expect(
            try sql.run("SELECT COUNT(*) FROM license_usage_history WHERE valid = 0 AND validated_at > datetime('now', '-1 hour')")
                == [[.integer(2)]])
        // 4. Migration Version
        #expect(try sql.run("SELECT version_num FROM alembic_version") == [[.text("571948cc671b")]])

        // Monitor permission denials
        let denials = try sql.run(
            """
            SELECT
              COUNT(*) as deny_count,
              details->>'operation' as operation,
              details->>'role' as role
            FROM security_audit_logs
            WHERE event_type = 'permission_check'
              AND details->>'result' = 'DENY'
              AND created_at > datetime('now', '-1 hour')
            GROUP BY operation, role
            ORDER BY deny_count DESC;
            """)
        #expect(
            denials == [
                [.integer(3), .text("license:generate"), .text("viewer")],
                [.integer(2), .text("license:revoke"), .text("editor")],
                [.integer(1), .text("system:audit"), .text("viewer")],
            ])

        // Monitor license generation activity
        let activity = try sql.run(
            """
            SELECT
              COUNT(*) as total_licenses,
              tier,
              DATE(created_at) as date
            FROM license_keys
            WHERE created_at > datetime('now', '-7 days')
            GROUP BY tier, DATE(created_at)
            ORDER BY date DESC, tier;
            """)
        let today = String(Timestamp.sqliteText(start).prefix(10))
        let threeDaysAgo = String(Timestamp.sqliteText(start - 3 * 86_400).prefix(10))
        #expect(
            activity == [
                [.integer(1), .text("FREE"), .text(today)],
                [.integer(1), .text("PRO"), .text(today)],
                [.integer(1), .text("ENTERPRISE"), .text(threeDaysAgo)],
                [.integer(2), .text("PRO"), .text(threeDaysAgo)],
            ])

        // Step 6: the ten newest audit rows, all six columns, newest first.
        let newest = try sql.run("SELECT * FROM security_audit_logs ORDER BY created_at DESC LIMIT 10;")
        #expect(newest.count == 10)
        #expect(newest.allSatisfy { $0.count == 6 })
        #expect(newest.first?[1] == .text("role_changed"))

        // The store's own counters agree with the spec's SQL.
        let counts = try await store.usageCounts(since: start - 3600, until: nil)
        #expect(counts == UsageCounts(total: 5, failed: 2))
        #expect(try await store.countLicenses(createdSince: start - 86_400, until: nil) == 2)
        #expect(try await store.countAuditEvents(matching: AuditFilter(eventType: "permission_check")) == 19)
    }
}

// MARK: - A raw sqlite3 connection (also used by MigrationTests)

/// A value read through the sqlite3 C API.
enum RawSQLiteValue: Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// The value as the sqlite3 shell prints it in list mode.
    var description: String {
        switch self {
        case .null: ""
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        }
    }
}

struct RawSQLiteError: Error, CustomStringConvertible {
    var description: String
}

/// A plain sqlite3 connection to a database file, outside GRDB and the store: what an operator's
/// `sqlite3` shell sees.
final class RawSQLiteConnection {
    private let handle: OpaquePointer

    init(path: String) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            sqlite3_close_v2(db)
            throw RawSQLiteError(description: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close_v2(handle) }

    /// The number of rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The number of rows in `table` (-1, with a recorded issue, if SQLite answers otherwise).
    func count(_ table: String) throws -> Int64 {
        guard case .integer(let count) = try run("SELECT COUNT(*) FROM \(table)")[0][0] else {
            Issue.record("COUNT(*) is not an integer")
            return -1
        }
        return count
    }

    /// Runs every statement of `sql` in order, as the sqlite3 shell does, and returns all the rows.
    @discardableResult
    func run(_ sql: String) throws -> [[RawSQLiteValue]] {
        var rows: [[RawSQLiteValue]] = []
        try sql.withCString { start in
            var next: UnsafePointer<CChar>? = start
            while let current = next, current.pointee != 0 {
                var statement: OpaquePointer?
                guard sqlite3_prepare_v2(handle, current, -1, &statement, &next) == SQLITE_OK else {
                    throw RawSQLiteError(description: "prepare failed: \(String(cString: sqlite3_errmsg(handle)))")
                }
                guard let statement else { continue }  // only whitespace or a comment was left
                defer { sqlite3_finalize(statement) }
                while true {
                    let rc = sqlite3_step(statement)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else {
                        throw RawSQLiteError(description: "step failed: \(String(cString: sqlite3_errmsg(handle)))")
                    }
                    rows.append((0..<sqlite3_column_count(statement)).map { Self.value(statement, $0) })
                }
            }
        }
        return rows
    }

    private static func value(_ statement: OpaquePointer, _ index: Int32) -> RawSQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: .real(sqlite3_column_double(statement, index))
        case SQLITE_NULL: .null
        default: sqlite3_column_text(statement, index).map { .text(String(cString: $0)) } ?? .null
        }
    }

    /// A row as the sqlite3 shell prints it in list mode: values separated by `|`.
    static func line(_ row: [RawSQLiteValue]) -> String { row.map(\.description).joined(separator: "|") }

    /// The column names of a table, in order (`PRAGMA table_info`).
    func columns(of table: String) throws -> [String] {
        try run("PRAGMA table_info(\(table))").map { $0[1].description }
    }

    /// The names of the indexes created by CREATE INDEX on a table (`PRAGMA index_list`, origin 'c').
    func createdIndexes(of table: String) throws -> Set<String> {
        Set(try run("PRAGMA index_list(\(table))").filter { $0[3] == .text("c") }.map { $0[1].description })
    }

    /// The names of the tables in the database, sorted.
    func tables() throws -> [String] {
        try run("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map { $0[0].description }
    }
}
