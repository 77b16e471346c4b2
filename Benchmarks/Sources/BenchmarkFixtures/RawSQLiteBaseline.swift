import Foundation
import GRDBSQLite
import TMWS

/// The floor our layers are measured against: the reads and writes of one full validation issued
/// straight through the sqlite3 C API — prepared statements, one transaction per validation (the
/// API-key lookup joined with its agent, the permission check's audit row, the license read, its
/// counter and the usage row, as `SQLiteStore.recordAuthenticatedValidation` does), the same pragmas (WAL,
/// synchronous=NORMAL, foreign keys on).
public final class RawSQLiteBaseline: @unchecked Sendable {
    // @unchecked: one benchmark task uses an instance at a time; nothing is shared.
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private let keyHash: String
    private let agentID: String
    private let licenseID: String

    public init(path: String, keyHash: String, agentID: String, licenseID: String) throws {
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { throw BaselineError.open }
        self.keyHash = keyHash
        self.agentID = agentID
        self.licenseID = licenseID
        for pragma in [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000",
            "PRAGMA temp_store = MEMORY",
        ] {
            sqlite3_exec(db, pragma, nil, nil, nil)
        }
    }

    /// A baseline on the fixture's database file, with its viewer's API key and its license.
    public convenience init(fixture: Fixture) throws {
        try self.init(
            path: fixture.directory! + "/tmws.db", keyHash: Digest.sha256Hex(fixture.viewerKey),
            agentID: fixture.viewer.agentID.uuidString.lowercased(), licenseID: fixture.licenseID.uuidString.lowercased())
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(db)
    }

    private func statement(_ sql: String) -> OpaquePointer {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            return cached
        }
        var statement: OpaquePointer?
        sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        statements[sql] = statement!
        return statement!
    }

    private func bind(_ statement: OpaquePointer, _ values: [String?]) {
        for (index, value) in values.enumerated() {
            if let value {
                sqlite3_bind_text(statement, Int32(index + 1), value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            } else {
                sqlite3_bind_null(statement, Int32(index + 1))
            }
        }
    }

    private func run(_ sql: String, _ values: [String?] = []) {
        let statement = statement(sql)
        bind(statement, values)
        while sqlite3_step(statement) == SQLITE_ROW {
            _ = sqlite3_column_text(statement, 0)
        }
    }

    /// One validation, in one transaction: resolve the API key and its agent, write the audit row,
    /// read the license, bump its counter and write the usage row.
    public func validateOnce(now: String) {
        run("BEGIN IMMEDIATE")
        validationStatements(now: now)
        run("COMMIT")
    }

    /// The batched twin of ``validateOnce(now:)``, as group commit runs a batch: `count`
    /// validations in one transaction, committed once. With `savepoints`, each validation is in
    /// its own savepoint (`SAVEPOINT step` … `RELEASE SAVEPOINT step`), as group commit runs a
    /// batch again after one of its steps failed (and as it ran every batch before 2026-12-04).
    public func validateBatch(of count: Int, savepoints: Bool = false, now: () -> String) {
        guard count > 1 else { return validateOnce(now: now()) }
        run("BEGIN IMMEDIATE")
        for _ in 0..<count {
            if savepoints { run("SAVEPOINT step") }
            validationStatements(now: now())
            if savepoints { run("RELEASE SAVEPOINT step") }
        }
        run("COMMIT")
    }

    private func validationStatements(now: String) {
        run(
            """
            SELECT k.id, k.agent_id, k.key_hash, k.key_prefix, k.created_at, k.last_used_at, k.revoked_at,
                a.id, a.agent_id, a.display_name, a.namespace, a.status, a.tier, a.role, a.created_at, a.updated_at
            FROM agent_api_keys k JOIN agents a ON a.id = k.agent_id WHERE k.key_hash = ? AND k.revoked_at IS NULL
            """, [keyHash])
        run(
            "INSERT INTO security_audit_logs (event_type, severity, user_id, details, created_at) VALUES (?, ?, ?, ?, ?)",
            ["permission_check", "info", agentID, #"{"operation":"license:validate","reason":"role_grants_permission","result":"ALLOW","role":"viewer"}"#, now])
        run(
            """
            SELECT id, agent_id, namespace, tier, license_key_hash, issued_at, expires_at, is_active, revoked_at, revoked_reason,
                revoked_by, created_at, last_validated_at, validation_count, metadata FROM license_keys WHERE id = ?
            """, [licenseID])
        run("UPDATE license_keys SET validation_count = validation_count + 1, last_validated_at = ? WHERE id = ?", [now, licenseID])
        run(
            "INSERT INTO license_usage_history (license_id, agent_id, validated_at, valid, feature_accessed, failure_reason) VALUES (?, ?, ?, ?, ?, ?)",
            [licenseID, agentID, now, "1", "bench", nil])
    }

    public enum BaselineError: Error { case open }
}
