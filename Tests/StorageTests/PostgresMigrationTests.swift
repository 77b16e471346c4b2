import Foundation
import TMWSStorage
import TMWSStorageConformance
import TMWSStoragePostgres
import TMWSTestSupport
import Testing

/// Migrations, schema verification and the operators' SQL on a real PostgreSQL server (the one
/// `TMWS_TEST_POSTGRES_URL` names; `.ci/run` starts it). Each test has its own schema.
@Suite(.enabled(if: PostgresTestSchema.url != nil, "needs TMWS_TEST_POSTGRES_URL"))
struct PostgresMigrationTests {
    let clock = TestClock()

    func emptySchema() async throws -> PostgresTestSchema {
        try await PostgresTestSchema(clock: clock.now, migrate: false)
    }

    func columns(_ store: PostgresStore, _ table: String) async throws -> [String] {
        try await store.jsonRowsForTesting(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '\(table)' ORDER BY ordinal_position"
        ).map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])["column_name"]! }
    }

    func count(_ store: PostgresStore, _ sql: String) async throws -> Int {
        let row = try #require(try await store.jsonRowsForTesting(sql).first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any])
        return try #require(object.values.first as? Int)
    }

    @Test func freshSchemaUpgradesInOrderAndVerifies() async throws {
        let schema = try await emptySchema()
        let store = schema.store
        #expect(try await store.currentRevision() == nil)
        #expect(try await store.verifySchema().first?.passed == false)
        let applied = try await store.upgrade()
        #expect(applied.map(\.id) == SchemaRevision.all.map(\.id))
        #expect(try await store.currentRevision() == SchemaRevision.head)
        #expect(try await store.upgrade().isEmpty)
        #expect(try await store.verifySchema().filter { !$0.passed }.map(\.name) == ["extension revision at head"])
        #expect(try await store.upgradeAllTracks().map(\.id) == MigrationTrack.extensions.revisions.map(\.id))
        let checks = try await store.verifySchema()
        #expect(checks.count == 9)
        for check in checks { #expect(check.passed, "\(check.name): expected \(check.expected), found \(check.found)") }
        #expect(try await columns(store, "license_keys").count == 15)
        #expect(try await columns(store, "license_usage_history").count == 7)
    }

    @Test func downAndUpKeepData() async throws {
        let schema = try await emptySchema()
        let store = schema.store
        try await store.upgrade()
        let owner = try await store.createAgent(NewAgent(name: "owner", namespace: "acme", tier: "PRO", role: "editor"))
        let license = try await store.insertLicense(
            NewLicense(
                id: UUID(), ownerID: owner.id, namespace: "acme", tier: "PRO", keyHash: String(repeating: "c", count: 64),
                issuedAt: clock.date, expiresAt: nil, metadata: ["customer": "acme"]),
            audit: NewAuditEvent(eventType: "license_generated", userID: owner.id, details: ["tier": "PRO"]))
        _ = try await store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: "export") { _, _ in .valid }

        // Down one step: only the role column and its index go.
        #expect(try await store.downgrade(steps: 1).map(\.id) == ["571948cc671b"])
        #expect(!(try await columns(store, "agents").contains("role")))
        #expect(try await store.verifySchema().first { $0.name == "ix_agents_role index" }?.passed == false)
        #expect(try await count(store, "SELECT COUNT(*) AS n FROM agents") == 1)
        #expect(try await count(store, "SELECT COUNT(*) AS n FROM license_keys") == 1)
        #expect(try await count(store, "SELECT COUNT(*) AS n FROM license_usage_history") == 1)

        // Up again: the agent is back, as a viewer (the revision's default), with everything else intact.
        #expect(try await store.upgrade().map(\.id) == ["571948cc671b"])
        let back = try #require(try await store.agent(id: owner.id))
        #expect(back.role == "viewer")
        #expect(back.tier == "PRO")
        #expect(back.namespace == "acme")
        let kept = try #require(try await store.license(id: license.id))
        #expect(kept.validationCount == 1)
        #expect(kept.metadata == ["customer": "acme"])
        #expect(try await store.allUsageHistory(licenseID: license.id).count == 1)
        #expect(try await store.countAuditEvents(matching: AuditFilter(eventType: "license_generated")) == 1)

        // Down to base: the license tables and the tier column go, agents and audit rows stay.
        #expect(try await store.downgrade(to: "e674ec434eeb").map(\.id) == ["571948cc671b", "096325207c82"])
        #expect(try await columns(store, "license_keys").isEmpty)
        #expect(!(try await columns(store, "agents").contains("tier")))
        #expect(try await count(store, "SELECT COUNT(*) AS n FROM agents") == 1)
        #expect(try await count(store, "SELECT COUNT(*) AS n FROM security_audit_logs") == 1)
        // To empty and back to head.
        #expect(try await store.downgrade(to: nil).map(\.id) == ["e674ec434eeb"])
        #expect(try await store.currentRevision() == nil)
        #expect(try await store.upgrade().count == 3)
        try await store.upgradeAllTracks()
        #expect(try await store.verifySchema().allSatisfy(\.passed))
    }

    @Test func unknownRevisionIsASchemaMismatch() async throws {
        let schema = try await PostgresTestSchema(clock: clock.now)
        try await schema.store.executeForTesting("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        await #expect(throws: StorageError(.schemaMismatch, "")) { _ = try await schema.store.currentRevision() }
    }

    @Test func concurrentMigratorsApplyEachStepOnce() async throws {
        let schema = try await emptySchema()
        let url = try #require(PostgresTestSchema.url)
        var settings = try PostgresStore.Configuration(url: url)
        settings.schema = schema.schema
        let configuration = settings
        let results = try await withThrowingTaskGroup(of: [SchemaRevision].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await PostgresStore.withRunning(configuration) { store in try await store.upgrade() }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.flatMap { $0 }.map(\.id).sorted() == SchemaRevision.all.map(\.id).sorted())
        #expect(try await schema.store.currentRevision() == SchemaRevision.head)
    }

    /// The PostgreSQL forms of the deployment guide's monitoring queries, as the README gives them.
    @Test func monitoringQueriesFromTheREADME() async throws {
        let schema = try await PostgresTestSchema(clock: nil)
        let store = schema.store
        let editor = try await store.createAgent(NewAgent(name: "editor", namespace: "acme", role: "editor"))
        for (index, tier) in ["PRO", "PRO", "FREE"].enumerated() {
            let license = try await store.insertLicense(
                NewLicense(
                    id: UUID(), ownerID: editor.id, namespace: "acme", tier: tier,
                    keyHash: String(repeating: "\(index)", count: 64), issuedAt: Date(), expiresAt: nil, metadata: [:]))
            _ = try await store.recordValidation(licenseID: license.id, agentID: editor.id, featureAccessed: nil) { _, _ in
                index == 2 ? .invalid("EXPIRED") : .valid
            }
        }
        for result in ["ALLOW", "DENY", "DENY"] {
            _ = try await store.appendAuditEvent(
                NewAuditEvent(
                    eventType: "permission_check", userID: editor.id,
                    details: ["operation": "license:revoke", "role": "editor", "result": result]))
        }
        #expect(try await count(store, "SELECT COUNT(*) FROM security_audit_logs WHERE event_type = 'permission_check'") == 3)
        #expect(try await count(store, "SELECT COUNT(*) FROM license_keys WHERE created_at > now() - interval '1 day'") == 3)
        #expect(
            try await count(
                store, "SELECT COUNT(*) FROM license_usage_history WHERE NOT valid AND validated_at > now() - interval '1 hour'") == 1)
        #expect(try await store.jsonRowsForTesting("SELECT version_num FROM alembic_version") == [#"{"version_num":"571948cc671b"}"#])
        let denials = try await store.jsonRowsForTesting(
            """
            SELECT COUNT(*) AS deny_count, details->>'operation' AS operation, details->>'role' AS role
            FROM security_audit_logs
            WHERE event_type = 'permission_check' AND details->>'result' = 'DENY' AND created_at > now() - interval '1 hour'
            GROUP BY operation, role ORDER BY deny_count DESC
            """)
        #expect(denials == [#"{"deny_count":2,"operation":"license:revoke","role":"editor"}"#])
        let activity = try await store.jsonRowsForTesting(
            """
            SELECT COUNT(*) AS total_licenses, tier, (created_at AT TIME ZONE 'UTC')::date AS date
            FROM license_keys
            WHERE created_at > now() - interval '7 days'
            GROUP BY tier, (created_at AT TIME ZONE 'UTC')::date
            ORDER BY date DESC, tier
            """)
        #expect(activity.count == 2)
        // The guide's Step 4, unchanged.
        try await store.executeForTesting("UPDATE agents SET role = 'admin' WHERE agent_id = 'editor'")
        #expect(try await store.agent(named: "editor")?.role == "admin")
        #expect(activity.first?.hasPrefix(#"{"total_licenses":1,"tier":"FREE""#) == true)
    }
}
