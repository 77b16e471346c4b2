import Foundation
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Schema migrations of a SQLite file, up and down, checked through a separate raw sqlite3
/// connection (``RawSQLiteConnection``, in SpecSQLTests.swift).
@Suite struct MigrationTests {
    static let base = "e674ec434eeb"
    static let licenses = "096325207c82"
    static let head = "571948cc671b"

    static let baseAgentColumns = ["id", "agent_id", "display_name", "namespace", "status", "created_at", "updated_at"]

    let directory: TemporaryDirectory
    let path: String
    let clock = TestClock()

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/tmws.db"
    }

    func newStore() throws -> SQLiteStore { try SQLiteStore(path: path, clock: clock.now) }

    func newLicense(owner: Agent, number: Int, tier: String = "PRO") -> NewLicense {
        NewLicense(
            id: UUID(), ownerID: owner.id, namespace: owner.namespace, tier: tier,
            keyHash: String(repeating: "ab", count: 31) + String(format: "%02d", number), issuedAt: clock.date,
            expiresAt: clock.date + 30 * 86_400, metadata: ["purpose": "test"])
    }

    // MARK: Up

    @Test func freshDatabaseUpgradesThroughEveryRevisionInOrder() async throws {
        let store = try newStore()
        #expect(try await store.currentRevision() == nil)
        let applied = try await store.upgrade()
        #expect(applied.map(\.id) == [Self.base, Self.licenses, Self.head])
        #expect(applied.map(\.downRevision) == [nil, Self.base, Self.licenses])
        #expect(SchemaRevision.head == Self.head)
        #expect(try await store.currentRevision() == Self.head)
        #expect(try await store.upgrade().isEmpty)

        let sql = try RawSQLiteConnection(path: path)
        #expect(try sql.run("SELECT version_num FROM alembic_version") == [[.text(Self.head)]])
        #expect(
            try sql.tables() == [
                "agent_api_keys", "agents", "alembic_version", "license_keys", "license_usage_history", "security_audit_logs",
            ])
    }

    @Test func intermediateRevisionIsUpgradedFromWhereItIs() async throws {
        let store = try newStore()
        #expect(try await store.upgrade(to: Self.licenses).map(\.id) == [Self.base, Self.licenses])
        #expect(try await store.currentRevision() == Self.licenses)
        let sql = try RawSQLiteConnection(path: path)
        #expect(!(try sql.columns(of: "agents").contains("role")))
        // A row written by older code, before the role column existed.
        try sql.run(
            """
            INSERT INTO agents (id, agent_id, display_name, namespace, status, created_at, updated_at, tier)
            VALUES ('6f1c1b9e-6f2a-4c59-9d7a-0d6f0e4c8a11', 'legacy', NULL, 'default', 'active',
                    '2025-11-01 10:00:00', '2025-11-01 10:00:00', 'PRO')
            """)

        await expectStorageError(.schemaMismatch) { _ = try await SQLiteStore.open(path: path, migrate: false) }
        await expectStorageError(.schemaMismatch) { _ = try await store.agent(named: "legacy") }

        #expect(try await store.upgrade().map(\.id) == [Self.head])
        #expect(try await store.currentRevision() == Self.head)
        let legacy = try #require(try await store.agent(named: "legacy"))
        #expect(legacy.role == "viewer")
        #expect(legacy.tier == "PRO")
        #expect(legacy.createdAt == Timestamp.parse("2025-11-01 10:00:00"))
        _ = try await SQLiteStore.open(path: path, migrate: false)
    }

    // MARK: Down and up again

    @Test func downgradeOneStepDropsOnlyTheRoleColumnAndUpgradeRestoresIt() async throws {
        let store = try newStore()
        try await store.upgrade()
        let admin = try await store.createAgent(
            NewAgent(name: "admin", displayName: "Admin", namespace: "ops", tier: "ENTERPRISE", role: "admin"))
        let bot = try await store.createAgent(NewAgent(name: "bot", namespace: "ops", tier: "PRO", role: "editor"))
        let license = try await store.insertLicense(newLicense(owner: bot, number: 1))
        _ = try await store.recordValidation(licenseID: license.id, agentID: bot.id, featureAccessed: "export") { _, _ in .valid }
        _ = try await store.recordValidation(licenseID: nil, agentID: admin.id, featureAccessed: nil) { _, _ in
            .invalid("MALFORMED")
        }
        _ = try await store.appendAuditEvent(
            NewAuditEvent(eventType: "role_changed", userID: admin.id, details: ["old": "viewer", "new": "admin"]))

        #expect(try await store.downgrade(steps: 1).map(\.id) == [Self.head])
        #expect(try await store.currentRevision() == Self.licenses)

        let sql = try RawSQLiteConnection(path: path)
        #expect(try sql.columns(of: "agents") == Self.baseAgentColumns + ["tier"])
        let agentIndexes = try sql.createdIndexes(of: "agents")
        #expect(!agentIndexes.contains("ix_agents_role"))
        #expect(agentIndexes.contains("ix_agents_tier"))
        #expect(
            try sql.run("SELECT agent_id, display_name, namespace, status, tier FROM agents ORDER BY agent_id") == [
                [.text("admin"), .text("Admin"), .text("ops"), .text("active"), .text("ENTERPRISE")],
                [.text("bot"), .null, .text("ops"), .text("active"), .text("PRO")],
            ])
        #expect(try sql.columns(of: "license_keys").count == 15)
        #expect(
            try sql.run("SELECT id, agent_id, tier, license_key_hash, validation_count, metadata FROM license_keys") == [
                [
                    .text(license.id.uuidString.lowercased()), .text(bot.id.uuidString.lowercased()), .text("PRO"),
                    .text(license.keyHash), .integer(1), .text(#"{"purpose":"test"}"#),
                ]
            ])
        #expect(
            try sql.run("SELECT license_id, valid, feature_accessed, failure_reason FROM license_usage_history ORDER BY id") == [
                [.text(license.id.uuidString.lowercased()), .integer(1), .text("export"), .null],
                [.null, .integer(0), .null, .text("MALFORMED")],
            ])
        #expect(
            try sql.run("SELECT event_type, user_id, details FROM security_audit_logs") == [
                [.text("role_changed"), .text(admin.id.uuidString.lowercased()), .text(#"{"new":"admin","old":"viewer"}"#)]
            ])
        await expectStorageError(.schemaMismatch) { _ = try await store.agent(named: "admin") }

        #expect(try await store.upgrade().map(\.id) == [Self.head])
        #expect(
            try sql.run("SELECT agent_id, role FROM agents ORDER BY agent_id") == [
                [.text("admin"), .text("viewer")], [.text("bot"), .text("viewer")],
            ])
        let restored = try #require(try await store.agent(named: "admin"))
        #expect(restored.role == "viewer")
        #expect(restored.tier == "ENTERPRISE")
        #expect(restored.displayName == "Admin")
        _ = try await store.updateAgent(id: admin.id, AgentChange(role: "admin"))
        #expect(try await store.agent(id: admin.id)?.role == "admin")
        #expect(try await store.license(id: license.id)?.validationCount == 1)
        #expect(try await store.usageHistory(licenseID: license.id, page: PageRequest(limit: 10)).items.count == 1)
        #expect(try await store.createAgent(NewAgent(name: "newcomer", namespace: "ops")).role == "viewer")
    }

    @Test func downgradeToBaseRevisionKeepsAgents() async throws {
        let store = try newStore()
        try await store.upgrade()
        let alice = try await store.createAgent(NewAgent(name: "alice", namespace: "team", tier: "PRO", role: "editor"))
        _ = try await store.createAgent(NewAgent(name: "bob", displayName: "Bob", namespace: "team"))
        _ = try await store.addAPIKey(agentID: alice.id, keyHash: String(repeating: "c", count: 64), prefix: "tmws_ak_c")
        _ = try await store.appendAuditEvent(NewAuditEvent(eventType: "license_generated", userID: alice.id))
        _ = try await store.insertLicense(newLicense(owner: alice, number: 2))

        #expect(try await store.downgrade(to: Self.base).map(\.id) == [Self.head, Self.licenses])
        #expect(try await store.currentRevision() == Self.base)
        let sql = try RawSQLiteConnection(path: path)
        #expect(try sql.tables() == ["agent_api_keys", "agents", "alembic_version", "security_audit_logs"])
        #expect(try sql.columns(of: "agents") == Self.baseAgentColumns)
        #expect(try sql.createdIndexes(of: "agents").isDisjoint(with: ["ix_agents_role", "ix_agents_tier"]))
        #expect(
            try sql.run("SELECT agent_id, display_name, namespace, status FROM agents ORDER BY agent_id") == [
                [.text("alice"), .null, .text("team"), .text("active")], [.text("bob"), .text("Bob"), .text("team"), .text("active")],
            ])
        #expect(
            try sql.run("SELECT agent_id, key_hash FROM agent_api_keys") == [
                [.text(alice.id.uuidString.lowercased()), .text(String(repeating: "c", count: 64))]
            ])
        #expect(try sql.run("SELECT COUNT(*) FROM security_audit_logs") == [[.integer(1)]])

        // `alembic upgrade head` from the base revision, by opening with migrate: true.
        let reopened = try await SQLiteStore.open(path: path, migrate: true, clock: clock.now)
        #expect(try await reopened.currentRevision() == Self.head)
        #expect(
            try sql.run("SELECT agent_id, tier, role FROM agents ORDER BY agent_id") == [
                [.text("alice"), .text("FREE"), .text("viewer")], [.text("bob"), .text("FREE"), .text("viewer")],
            ])
        #expect(try sql.run("SELECT COUNT(*) FROM license_keys") == [[.integer(0)]])
        let resolved = try #require(try await reopened.resolveAPIKey(hash: String(repeating: "c", count: 64)))
        #expect(resolved.agent.id == alice.id)
    }

    @Test func downgradeToEmptyAndUpAgain() async throws {
        let store = try newStore()
        try await store.upgrade()
        _ = try await store.createAgent(NewAgent(name: "temp", namespace: "default"))

        #expect(try await store.downgrade(to: nil).map(\.id) == [Self.head, Self.licenses, Self.base])
        #expect(try await store.currentRevision() == nil)
        let sql = try RawSQLiteConnection(path: path)
        #expect(try sql.tables() == ["alembic_version"])
        #expect(try sql.run("SELECT COUNT(*) FROM alembic_version") == [[.integer(0)]])
        #expect(try sql.run("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL") == [[.integer(0)]])

        #expect(try await store.upgrade().map(\.id) == [Self.base, Self.licenses, Self.head])
        #expect(try await store.agent(named: "temp") == nil)
        let agent = try await store.createAgent(NewAgent(name: "temp", namespace: "default"))
        #expect(try await store.agent(named: "temp") == agent)
    }

    // MARK: Exact schema

    @Test func headSchemaHasTheDocumentedColumnsAndIndexes() async throws {
        try await newStore().upgrade()
        let sql = try RawSQLiteConnection(path: path)

        #expect(
            try sql.columns(of: "license_keys") == [
                "id", "agent_id", "namespace", "tier", "license_key_hash", "issued_at", "expires_at", "is_active", "revoked_at",
                "revoked_reason", "revoked_by", "created_at", "last_validated_at", "validation_count", "metadata",
            ])
        #expect(try sql.createdIndexes(of: "license_keys").count == 5)
        #expect(try sql.createdIndexes(of: "license_keys").contains("ix_license_keys_license_key_hash"))
        #expect(try sql.run("PRAGMA index_list(license_keys)").contains { $0[1] == .text("ix_license_keys_license_key_hash") && $0[2] == .integer(1) })

        #expect(
            try sql.columns(of: "license_usage_history") == [
                "id", "license_id", "agent_id", "validated_at", "valid", "feature_accessed", "failure_reason",
            ])
        #expect(try sql.createdIndexes(of: "license_usage_history").count == 3)

        #expect(Set(try sql.columns(of: "agents")) == Set(Self.baseAgentColumns + ["tier", "role"]))
        #expect(try sql.createdIndexes(of: "agents").isSuperset(of: ["ix_agents_role", "ix_agents_tier"]))

        let info = try sql.run("PRAGMA table_info(agents)")
        let role = try #require(info.first { $0[1] == .text("role") })
        #expect(Array(role.dropFirst()) == [.text("role"), .text("TEXT"), .integer(1), .text("'viewer'"), .integer(0)])
        let tier = try #require(info.first { $0[1] == .text("tier") })
        #expect(Array(tier.dropFirst()) == [.text("tier"), .text("TEXT"), .integer(1), .text("'FREE'"), .integer(0)])
    }

    // MARK: Errors

    @Test func migrationErrors() async throws {
        let store = try newStore()
        await expectStorageError(.schemaMismatch) { _ = try await SQLiteStore.open(path: path, migrate: false) }
        await expectStorageError(.invalidArgument) { try await store.upgrade(to: "nonsense") }
        await expectStorageError(.invalidArgument) { try await store.downgrade(to: "nonsense") }
        #expect(try await store.currentRevision() == nil)

        try await store.upgrade(to: Self.licenses)
        await expectStorageError(.invalidArgument) { try await store.downgrade(to: Self.head) }
        await expectStorageError(.invalidArgument) { try await store.downgrade(steps: 0) }
        await expectStorageError(.invalidArgument) { try await store.downgrade(steps: 3) }
        await expectStorageError(.schemaMismatch) { _ = try await SQLiteStore.open(path: path, migrate: false) }
        await expectStorageError(.schemaMismatch) { _ = try await store.agent(named: "anyone") }
        #expect(try await store.currentRevision() == Self.licenses)

        try await store.upgrade()
        await expectStorageError(.invalidArgument) { try await store.upgrade(to: Self.base) }
        #expect(try await store.currentRevision() == Self.head)
    }

    @Test func aFailedStepLeavesTheLastGoodRevision() async throws {
        let store = try newStore()
        try await store.upgrade(to: Self.licenses)
        let sql = try RawSQLiteConnection(path: path)
        try sql.run("CREATE INDEX ix_agents_role ON agents (status)")  // the last step's index name is taken

        await #expect(throws: StorageError.self) { try await store.upgrade() }
        #expect(try await store.currentRevision() == Self.licenses)
        #expect(!(try sql.columns(of: "agents").contains("role")))  // its ADD COLUMN was rolled back

        try sql.run("DROP INDEX ix_agents_role")
        #expect(try await store.upgrade().map(\.id) == [Self.head])
    }

    @Test func aRevisionFromNewerCodeIsASchemaMismatch() async throws {
        let store = try newStore()
        try await store.upgrade()
        try RawSQLiteConnection(path: path).run("UPDATE alembic_version SET version_num = 'ffffffffffff'")

        await expectStorageError(.schemaMismatch) { _ = try await store.currentRevision() }
        await expectStorageError(.schemaMismatch) { try await store.upgrade() }
        await expectStorageError(.schemaMismatch) { try await store.downgrade(to: nil) }
        await expectStorageError(.schemaMismatch) { _ = try await SQLiteStore.open(path: path, migrate: true) }
    }
}

/// Expects `body` to throw a ``StorageError`` with `code`.
private func expectStorageError(
    _ code: StorageError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    let error = await #expect(throws: StorageError.self, sourceLocation: sourceLocation) { try await body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}
