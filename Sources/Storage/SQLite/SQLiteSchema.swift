import GRDB

/// The SQLite DDL of every revision, up and down. Names are the contract of DESIGN.md and the
/// deployment guide: its SQL must run unchanged against these tables.
enum SQLiteSchema {
    static let head = SchemaRevision.head

    struct Step {
        var id: String
        var up: [String]
        var down: [String]
    }

    static let steps: [Step] = [
        Step(
            id: "e674ec434eeb",
            up: [
                """
                CREATE TABLE agents (
                    id VARCHAR(36) NOT NULL PRIMARY KEY,
                    agent_id TEXT NOT NULL,
                    display_name TEXT,
                    namespace TEXT NOT NULL DEFAULT 'default',
                    status TEXT NOT NULL DEFAULT 'active',
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX ix_agents_agent_id ON agents (agent_id)",
                "CREATE INDEX ix_agents_namespace ON agents (namespace)",
                """
                CREATE TABLE agent_api_keys (
                    id VARCHAR(36) NOT NULL PRIMARY KEY,
                    agent_id VARCHAR(36) NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
                    key_hash VARCHAR(64) NOT NULL,
                    key_prefix TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    last_used_at DATETIME,
                    revoked_at DATETIME
                )
                """,
                "CREATE UNIQUE INDEX ix_agent_api_keys_key_hash ON agent_api_keys (key_hash)",
                "CREATE INDEX ix_agent_api_keys_agent_id ON agent_api_keys (agent_id)",
                """
                CREATE TABLE security_audit_logs (
                    id INTEGER NOT NULL PRIMARY KEY,
                    event_type TEXT NOT NULL,
                    severity TEXT NOT NULL DEFAULT 'info',
                    user_id VARCHAR(36),
                    details JSON NOT NULL DEFAULT '{}',
                    created_at DATETIME NOT NULL
                )
                """,
                "CREATE INDEX ix_security_audit_logs_created_at ON security_audit_logs (created_at)",
                "CREATE INDEX ix_security_audit_logs_event_type ON security_audit_logs (event_type, created_at)",
                "CREATE INDEX ix_security_audit_logs_user_id ON security_audit_logs (user_id, created_at)",
            ],
            down: [
                "DROP TABLE security_audit_logs",
                "DROP TABLE agent_api_keys",
                "DROP TABLE agents",
            ]),
        Step(
            id: "096325207c82",
            up: [
                "ALTER TABLE agents ADD COLUMN tier TEXT NOT NULL DEFAULT 'FREE'",
                "CREATE INDEX ix_agents_tier ON agents (tier)",
                """
                CREATE TABLE license_keys (
                    id VARCHAR(36) NOT NULL PRIMARY KEY,
                    agent_id VARCHAR(36) NOT NULL REFERENCES agents (id),
                    namespace TEXT NOT NULL,
                    tier TEXT NOT NULL,
                    license_key_hash VARCHAR(64) NOT NULL,
                    issued_at DATETIME NOT NULL,
                    expires_at DATETIME,
                    is_active BOOLEAN NOT NULL DEFAULT 1,
                    revoked_at DATETIME,
                    revoked_reason TEXT,
                    revoked_by VARCHAR(36),
                    created_at DATETIME NOT NULL,
                    last_validated_at DATETIME,
                    validation_count INTEGER NOT NULL DEFAULT 0,
                    metadata JSON
                )
                """,
                "CREATE UNIQUE INDEX ix_license_keys_license_key_hash ON license_keys (license_key_hash)",
                "CREATE INDEX ix_license_keys_agent_id ON license_keys (agent_id, created_at)",
                "CREATE INDEX ix_license_keys_namespace ON license_keys (namespace, created_at)",
                "CREATE INDEX ix_license_keys_tier ON license_keys (tier)",
                "CREATE INDEX ix_license_keys_created_at ON license_keys (created_at)",
                """
                CREATE TABLE license_usage_history (
                    id INTEGER NOT NULL PRIMARY KEY,
                    license_id VARCHAR(36) REFERENCES license_keys (id) ON DELETE CASCADE,
                    agent_id VARCHAR(36) NOT NULL,
                    validated_at DATETIME NOT NULL,
                    valid BOOLEAN NOT NULL,
                    feature_accessed TEXT,
                    failure_reason TEXT
                )
                """,
                "CREATE INDEX ix_license_usage_history_license_id ON license_usage_history (license_id, validated_at)",
                "CREATE INDEX ix_license_usage_history_agent_id ON license_usage_history (agent_id)",
                "CREATE INDEX ix_license_usage_history_validated_at ON license_usage_history (validated_at)",
            ],
            down: [
                "DROP TABLE license_usage_history",
                "DROP TABLE license_keys",
                "DROP INDEX ix_agents_tier",
                "ALTER TABLE agents DROP COLUMN tier",
            ]),
        Step(
            id: "571948cc671b",
            up: [
                "ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer'",
                "CREATE INDEX ix_agents_role ON agents (role)",
            ],
            down: [
                "DROP INDEX ix_agents_role",
                "ALTER TABLE agents DROP COLUMN role",
            ]),
    ]

    static func currentRevision(_ db: Database) throws -> String? {
        guard try db.tableExists("alembic_version") else { return nil }
        let revision = try String.fetchOne(db, sql: "SELECT version_num FROM alembic_version")
        _ = try SchemaRevision.position(of: revision)
        return revision
    }

    static func setRevision(_ db: Database, _ revision: String?) throws {
        try db.execute(
            sql: "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        try db.execute(sql: "DELETE FROM alembic_version")
        if let revision { try db.execute(sql: "INSERT INTO alembic_version (version_num) VALUES (?)", arguments: [revision]) }
    }

    /// Applies the steps after the current revision up to `target`, in the caller's transaction.
    @discardableResult
    static func upgrade(_ db: Database, to target: String) throws -> [SchemaRevision] {
        let from = try SchemaRevision.position(of: currentRevision(db))
        guard SchemaRevision.named(target) != nil else {
            throw StorageError(.invalidArgument, "unknown revision '\(target)'")
        }
        let to = try SchemaRevision.position(of: target)
        guard to >= from else {
            throw StorageError(.invalidArgument, "revision \(target) is older than the current one; use downgrade")
        }
        var applied: [SchemaRevision] = []
        for index in from..<to {
            for sql in steps[index].up { try db.execute(sql: sql) }
            try setRevision(db, steps[index].id)
            applied.append(SchemaRevision.all[index])
        }
        return applied
    }
}

extension SQLiteStore: SchemaMigrating {
    public func currentRevision() async throws -> String? {
        try await read { db in try SQLiteSchema.currentRevision(db) }
    }

    @discardableResult
    public func upgrade(to revision: String) async throws -> [SchemaRevision] {
        guard SchemaRevision.named(revision) != nil else {
            throw StorageError(.invalidArgument, "unknown revision '\(revision)'")
        }
        let target = try SchemaRevision.position(of: revision)
        var applied: [SchemaRevision] = []
        // One transaction per step, so that a failure leaves the database at the last good revision.
        while true {
            let step = try await writeAlone { db, _ -> SchemaRevision? in
                let from = try SchemaRevision.position(of: SQLiteSchema.currentRevision(db))
                guard from <= target else {
                    throw StorageError(.invalidArgument, "revision \(revision) is older than the current one; use downgrade")
                }
                guard from < target else { return nil }
                return try SQLiteSchema.upgrade(db, to: SchemaRevision.all[from].id).first
            }
            guard let step else { break }
            applied.append(step)
        }
        return applied
    }

    @discardableResult
    public func downgrade(to revision: String?) async throws -> [SchemaRevision] {
        if let revision, SchemaRevision.named(revision) == nil {
            throw StorageError(.invalidArgument, "unknown revision '\(revision)'")
        }
        let target = try SchemaRevision.position(of: revision)
        var undone: [SchemaRevision] = []
        while true {
            let step = try await writeAlone { db, _ -> SchemaRevision? in
                let from = try SchemaRevision.position(of: SQLiteSchema.currentRevision(db))
                guard target <= from else {
                    throw StorageError(.invalidArgument, "revision \(revision ?? "base") is newer than the current one; use upgrade")
                }
                guard from > target else { return nil }
                for sql in SQLiteSchema.steps[from - 1].down { try db.execute(sql: sql) }
                try SQLiteSchema.setRevision(db, from >= 2 ? SchemaRevision.all[from - 2].id : nil)
                return SchemaRevision.all[from - 1]
            }
            guard let step else { break }
            undone.append(step)
        }
        return undone
    }
}
