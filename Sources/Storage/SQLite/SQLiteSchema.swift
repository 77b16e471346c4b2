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

    /// The extension track's DDL (``MigrationTrack/extensions``): tables the seed does not have.
    static let extensionSteps: [Step] = [
        Step(
            id: "tmws_0001_deployment",
            up: [
                """
                CREATE TABLE tmws_deployment (
                    name VARCHAR(64) NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                )
                """
            ],
            down: ["DROP TABLE tmws_deployment"]),
        Step(
            id: "tmws_0002_signing_keys",
            up: [
                """
                CREATE TABLE tmws_signing_keys (
                    kid VARCHAR(64) NOT NULL PRIMARY KEY,
                    public_key TEXT NOT NULL,
                    sealed_private_key TEXT NOT NULL,
                    status VARCHAR(16) NOT NULL,
                    created_at DATETIME NOT NULL,
                    retired_at DATETIME
                )
                """,
                // At most one active key, on every server at once.
                "CREATE UNIQUE INDEX ix_tmws_signing_keys_active ON tmws_signing_keys (status) WHERE status = 'active'",
            ],
            down: ["DROP TABLE tmws_signing_keys"]),
    ]

    static func steps(of track: MigrationTrack) -> [Step] {
        track == .seed ? steps : extensionSteps
    }

    /// The seed revision (`alembic_version`).
    static func currentRevision(_ db: Database) throws -> String? {
        try currentRevision(db, of: .seed)
    }

    static func currentRevision(_ db: Database, of track: MigrationTrack) throws -> String? {
        guard try db.tableExists(track.versionTable) else { return nil }
        let revision = try String.fetchOne(db, sql: "SELECT version_num FROM \(track.versionTable)")
        _ = try track.position(of: revision)
        return revision
    }

    static func setRevision(_ db: Database, _ revision: String?, of track: MigrationTrack) throws {
        let table = track.versionTable
        try db.execute(
            sql: "CREATE TABLE IF NOT EXISTS \(table) (version_num VARCHAR(32) NOT NULL, CONSTRAINT \(table)_pkc PRIMARY KEY (version_num))")
        try db.execute(sql: "DELETE FROM \(table)")
        if let revision { try db.execute(sql: "INSERT INTO \(table) (version_num) VALUES (?)", arguments: [revision]) }
    }

    /// Applies one step of a track up (from its current position), in the caller's transaction.
    static func stepUp(_ db: Database, _ track: MigrationTrack, from position: Int) throws -> SchemaRevision {
        for sql in steps(of: track)[position].up { try db.execute(sql: sql) }
        try setRevision(db, track.revisions[position].id, of: track)
        return track.revisions[position]
    }

    /// Applies every step of every track up to its head, in the caller's transaction (a new in-memory database).
    static func upgradeAll(_ db: Database) throws {
        for track in MigrationTrack.all {
            for position in try track.position(of: currentRevision(db, of: track))..<track.revisions.count {
                _ = try stepUp(db, track, from: position)
            }
        }
    }
}

extension SQLiteStore: SchemaMigrating {
    public func currentRevision(of track: MigrationTrack) async throws -> String? {
        try await read { db in try SQLiteSchema.currentRevision(db, of: track) }
    }

    @discardableResult
    public func upgrade(_ track: MigrationTrack, to revision: String) async throws -> [SchemaRevision] {
        guard track.revision(revision) != nil else {
            throw StorageError(.invalidArgument, "unknown \(track) revision '\(revision.prefix(64))'")
        }
        let target = try track.position(of: revision)
        var applied: [SchemaRevision] = []
        // One transaction per step, so that a failure leaves the database at the last good revision.
        while true {
            let step = try await writeAlone { db, _ -> SchemaRevision? in
                let from = try track.position(of: SQLiteSchema.currentRevision(db, of: track))
                guard from <= target else {
                    throw StorageError(.invalidArgument, "revision \(revision) is older than the current one; use downgrade")
                }
                guard from < target else { return nil }
                return try SQLiteSchema.stepUp(db, track, from: from)
            }
            guard let step else { break }
            applied.append(step)
        }
        return applied
    }

    @discardableResult
    public func downgrade(_ track: MigrationTrack, to revision: String?) async throws -> [SchemaRevision] {
        if let revision, track.revision(revision) == nil {
            throw StorageError(.invalidArgument, "unknown \(track) revision '\(revision.prefix(64))'")
        }
        let target = try track.position(of: revision)
        var undone: [SchemaRevision] = []
        while true {
            let step = try await writeAlone { db, _ -> SchemaRevision? in
                let from = try track.position(of: SQLiteSchema.currentRevision(db, of: track))
                guard target <= from else {
                    throw StorageError(.invalidArgument, "revision \(revision ?? "base") is newer than the current one; use upgrade")
                }
                guard from > target else { return nil }
                for sql in SQLiteSchema.steps(of: track)[from - 1].down { try db.execute(sql: sql) }
                try SQLiteSchema.setRevision(db, track.revision(at: from - 1), of: track)
                return track.revisions[from - 1]
            }
            guard let step else { break }
            undone.append(step)
        }
        return undone
    }
}
