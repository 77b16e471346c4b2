import Foundation
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// The extension migration track: its own version table, independent of the seed's in both
/// directions, on every backend with a schema; and the deployment records it holds.
@Suite struct ExtensionTrackTests {
    static let backends = StoreBackend.allCases.filter { $0 != .memory }
    static let first = MigrationTrack.extensions.revisions[0].id
    static let all = MigrationTrack.extensions.revisions.map(\.id)

    func store(_ backend: StoreBackend) async throws -> (TemporaryStore, any Store & SchemaMigrating & DeploymentRecords & SchemaVerifying) {
        let temporary = try await backend.makeStore()
        let store = try #require(temporary.store as? any Store & SchemaMigrating & DeploymentRecords & SchemaVerifying)
        return (temporary, store)
    }

    @Test func theTracksAreDistinctAndTheirIdsNameThem() {
        #expect(MigrationTrack.seed.versionTable == "alembic_version" && MigrationTrack.seed.head == "571948cc671b")
        #expect(MigrationTrack.extensions.versionTable == "tmws_extension_version")
        let seedIDs = Set(MigrationTrack.seed.revisions.map(\.id))
        #expect(seedIDs.isDisjoint(with: MigrationTrack.extensions.revisions.map(\.id)))
        #expect(MigrationTrack.holding(revision: Self.first) == .extensions)
        #expect(MigrationTrack.holding(revision: "571948cc671b") == .seed)
        #expect(MigrationTrack.holding(revision: "nonsense") == nil)
        #expect(MigrationTrack.named("extension") == .extensions && MigrationTrack.named("seed") == .seed)
        #expect(SchemaRevision.tables.contains("tmws_deployment"))
        for revision in MigrationTrack.extensions.revisions {
            #expect(!revision.removedByDowngrade.isEmpty, "every extension step says what its downgrade removes")
            #expect(
                revision.removedByDowngrade.allSatisfy {
                    !["agents", "agent_api_keys", "security_audit_logs", "license_keys", "license_usage_history"].contains($0.table)
                })
        }
    }

    /// Down and up again on the extension track leave the seed's revision, tables and rows alone;
    /// the seed's own down and up leave the extension track alone.
    @Test(arguments: backends)
    func eachTrackMovesWithoutTheOther(_ backend: StoreBackend) async throws {
        let (temporary, store) = try await store(backend)
        _ = temporary
        #expect(try await store.currentRevision(of: .extensions) == MigrationTrack.extensions.head)
        #expect(try await store.verifySchema().allSatisfy(\.passed))
        let agent = try await store.createAgent(NewAgent(name: "kept", namespace: "default"))
        #expect(try await store.recordIfAbsent("note", value: "one") == "one")

        #expect(try await store.downgrade(.extensions, to: nil).map(\.id) == Self.all.reversed())
        #expect(try await store.currentRevision(of: .extensions) == nil)
        #expect(try await store.currentRevision() == SchemaRevision.head, "the seed is untouched")
        #expect(try await store.agent(named: "kept") == agent)
        #expect(try await store.rowCount(of: "tmws_deployment") == nil)
        let check = try #require(try await store.verifySchema().first { $0.name == "extension revision at head" })
        #expect(!check.passed && check.found == "none")
        await #expect(throws: StorageError.self) { _ = try await store.deploymentRecord("note") }

        #expect(try await store.upgrade(.extensions, to: MigrationTrack.extensions.head).map(\.id) == Self.all)
        #expect(try await store.upgrade(.extensions, to: MigrationTrack.extensions.head).isEmpty)
        #expect(try await store.deploymentRecord("note") == nil, "the table came back empty")

        // The seed's downgrade and upgrade do not touch the extension track.
        #expect(try await store.recordIfAbsent("note", value: "two") == "two")
        #expect(try await store.downgrade(to: "096325207c82").map(\.id) == ["571948cc671b"])
        #expect(try await store.currentRevision(of: .extensions) == MigrationTrack.extensions.head)
        #expect(try await store.deploymentRecord("note") == "two")
        #expect(try await store.upgrade().map(\.id) == ["571948cc671b"])

        // A revision of the other track, or none, is refused by each.
        for call in [
            { try await store.upgrade(.extensions, to: "571948cc671b") },
            { try await store.downgrade(.extensions, to: "096325207c82") },
            { try await store.upgrade(.seed, to: Self.first) },
        ] as [@Sendable () async throws -> [SchemaRevision]] {
            let error = await #expect(throws: StorageError.self) { _ = try await call() }
            #expect(error?.code == .invalidArgument)
        }
    }

    /// The first value recorded under a name stays; later ones get it back, also when many race.
    @Test(arguments: backends)
    func recordIfAbsentKeepsTheFirstValue(_ backend: StoreBackend) async throws {
        let (temporary, store) = try await store(backend)
        _ = temporary
        #expect(try await store.deploymentRecord("secret_fingerprint") == nil)
        let winners = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<16 { group.addTask { try await store.recordIfAbsent("secret_fingerprint", value: "fp-\(index)") } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(winners.count == 1)
        let kept = try #require(winners.first)
        #expect(try await store.deploymentRecord("secret_fingerprint") == kept)
        #expect(try await store.recordIfAbsent("secret_fingerprint", value: "other") == kept)
        #expect(try await store.rowCount(of: "tmws_deployment") == 1)
        let error = await #expect(throws: StorageError.self) { _ = try await store.recordIfAbsent(String(repeating: "n", count: 65), value: "x") }
        #expect(error?.code == .invalidArgument)
    }

    /// A database written by newer code (an extension revision this code does not know) is refused.
    @Test func anUnknownExtensionRevisionIsASchemaMismatch() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/tmws.db"
        let store = try await SQLiteStore.open(path: path, migrate: true)
        try RawSQLiteConnection(path: path).run("UPDATE tmws_extension_version SET version_num = 'tmws_9999_future'")
        let error = await #expect(throws: StorageError.self) { _ = try await store.currentRevision(of: .extensions) }
        #expect(error?.code == .schemaMismatch)
        #expect(try await store.currentRevision() == SchemaRevision.head)
    }
}
