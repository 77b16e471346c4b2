import Foundation
import GRDB
import Synchronization
import TMWSTestSupport
import Testing

@testable import TMWSStorage

/// Group commit in the SQLite store: write steps of concurrent callers share one transaction. A
/// step that fails rolls back alone (its batch runs again, with a savepoint around each step); a
/// transaction that does not commit fails every step in it; a lone step runs at once. Each test
/// holds the writer busy with a step that waits on a gate, queues the steps it needs, and then
/// opens the gate, so that the queued steps form one batch.
@Suite struct GroupCommitTests {
    let directory: TemporaryDirectory
    let path: String
    let store: SQLiteStore
    let owner: Agent
    let license: License

    init() async throws {
        try await self.init(limit: 64)
    }

    init(limit: Int) async throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/tmws.db"
        store = try await SQLiteStore.open(path: path, configuration: .init(groupCommitLimit: limit), migrate: true)
        owner = try await store.createAgent(NewAgent(name: "owner", namespace: "default", role: "editor"))
        license = try await store.insertLicense(
            NewLicense(id: UUID(), ownerID: owner.id, namespace: "default", tier: "PRO", keyHash: "hash", issuedAt: Date(), expiresAt: nil))
    }

    func count(_ table: String) throws -> Int64 {
        try RawSQLiteConnection(path: path).count(table)
    }

    func validate() async throws -> RecordedValidation {
        try await store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: "batch") { _, _ in .valid }
    }

    /// Keeps the writer busy while `queue` starts `steps` steps, waits until all of them wait for
    /// the writer, then lets the writer go on, so that they are committed together.
    func batching<T: Sendable>(_ steps: Int, _ queue: () -> [Task<T, any Error>]) async throws -> [Result<T, any Error>] {
        let gate = DispatchSemaphore(value: 0)
        let holding = Mutex(false)
        let holder = Task {
            try await store.write { _, _ in
                holding.withLock { $0 = true }
                gate.wait()
            }
        }
        try await waitUntil { holding.withLock { $0 } }
        let tasks = queue()
        try await waitUntil { store.steps.waitingCount == steps }
        gate.signal()
        try await holder.value
        var results: [Result<T, any Error>] = []
        for task in tasks { results.append(await task.result) }
        return results
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "timed out waiting for the writer")
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test func concurrentStepsShareOneTransactionAndAFailingStepRollsBackAlone() async throws {
        let before = store.groupCommitStatistics
        let auditBefore = try count("security_audit_logs")
        let results = try await batching(4) {
            [
                Task { try await validate().usage.id as any Sendable },
                // Writes an audit row, then fails: its savepoint is rolled back, row and all.
                Task {
                    try await store.write { db, now in
                        try SQLiteStore.insertAudit(db, NewAuditEvent(eventType: "half_done", severity: .info, userID: nil), at: now)
                        throw StorageError(.conflict, "refused after writing")
                    } as any Sendable
                },
                Task { try await store.createAgent(NewAgent(name: "owner", namespace: "default")) as any Sendable },
                Task { try await store.revokeLicense(id: UUID(), reason: "missing", revokedBy: nil) as any Sendable },
            ]
        }
        let after = store.groupCommitStatistics
        // The holder's transaction, then one holding all four steps.
        #expect(after.transactions - before.transactions == 2)
        #expect(after.largestBatch == 4)
        #expect(after.rerunBatches - before.rerunBatches == 1, "a failing step sends its batch through a second run, with savepoints")

        #expect((try? results[0].get()) != nil, "the batch-mate of failing steps committed")
        #expect(throws: StorageError(.conflict, "")) { try results[1].get() }
        #expect(throws: StorageError(.conflict, "")) { try results[2].get() }
        #expect(throws: StorageError(.notFound, "")) { try results[3].get() }

        let usage = try await store.allUsageHistory(licenseID: license.id)
        #expect(usage.count == 1)
        #expect(try await store.license(id: license.id)?.validationCount == 1)
        #expect(try count("security_audit_logs") == auditBefore, "the failing step's audit row was rolled back")
        #expect(try count("agents") == 1)
        #expect(try await store.integrityProblems().isEmpty)
    }

    @Test func aTransactionThatSQLiteAbortsFailsEveryStepInIt() async throws {
        let results = try await batching(3) {
            [
                Task { try await validate().usage.id },
                // What SQLite does after SQLITE_FULL or an I/O error: the whole transaction is gone.
                Task {
                    try await store.write { db, _ -> Int64 in
                        try db.execute(sql: "ROLLBACK")
                        throw DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
                    }
                },
                Task { try await validate().usage.id },
            ]
        }
        for result in results {
            let error = #expect(throws: StorageError.self) { try result.get() }
            #expect(error?.code == .unavailable)
        }
        #expect(try await store.allUsageHistory(licenseID: license.id).isEmpty, "no step of an uncommitted batch stands")
        #expect(try await store.license(id: license.id)?.validationCount == 0)
        // The store goes on.
        #expect(try await validate().decision.valid)
    }

    @Test func theMatesOfAFailingStepCommitOnceWithTimesInCommitOrder() async throws {
        let before = store.groupCommitStatistics
        let results = try await batching(5) {
            [
                Task { try await validate().usage.id },
                Task { try await validate().usage.id },
                Task { try await store.write { _, _ -> Int64 in throw StorageError(.conflict, "refused") } },
                Task { try await validate().usage.id },
                Task { try await validate().usage.id },
            ]
        }
        #expect(store.groupCommitStatistics.rerunBatches - before.rerunBatches == 1)
        #expect(throws: StorageError(.conflict, "")) { try results[2].get() }
        let committed = results.compactMap { try? $0.get() }
        #expect(committed.count == 4)
        // Each mate ran twice (the first run was rolled back) and committed once.
        let rows = try await store.allUsageHistory(licenseID: license.id).sorted { $0.id < $1.id }
        #expect(rows.map(\.id) == committed.sorted())
        #expect(try await store.license(id: license.id)?.validationCount == 4)
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.validatedAt <= $1.validatedAt }, "times follow commit order")
        #expect(try await store.integrityProblems().isEmpty)
    }

    /// The writer runs the WAL checkpoints itself, after the commit (SQLite's automatic one is off
    /// on its connection): the log is reused after each, so it stays bounded both while steps keep
    /// coming and between lone steps.
    @Test func checkpointsKeepTheWriteAheadLogBounded() async throws {
        let before = store.steps.checkpoints.count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { for _ in 0..<150 { _ = try await validate() } } }
            try await group.waitForAll()
        }
        for _ in 0..<1000 { _ = try await validate() }
        // Some 9,000 pages written to the log (without these checkpoints it grows past 35 MB).
        #expect(store.steps.checkpoints.count - before >= 4)
        let walBytes = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        let pageBytes = 4096 + 24
        #expect(walBytes <= Int(WALCheckpoints.busyPages + 200) * pageBytes + 32, "the log holds at most one busy stretch")
        #expect(try await store.license(id: license.id)?.validationCount == 16 * 150 + 1000)
        #expect(try await store.integrityProblems().isEmpty)
    }

    @Test func aLoneStepIsCommittedAloneAndAtOnce() async throws {
        let before = store.groupCommitStatistics
        for _ in 0..<20 { _ = try await validate() }
        let after = store.groupCommitStatistics
        #expect(after.transactions - before.transactions == 20)
        #expect(after.steps - before.steps == 20)
        #expect(after.largestBatch == 1)
    }

    @Test func stepsBeyondTheLimitWaitForTheNextTransaction() async throws {
        let limited = try await GroupCommitTests(limit: 4)
        let before = limited.store.groupCommitStatistics
        let results = try await limited.batching(10) { (0..<10).map { _ in Task { try await limited.validate() } } }
        #expect(results.allSatisfy { (try? $0.get())?.decision.valid == true })
        let after = limited.store.groupCommitStatistics
        #expect(after.largestBatch == 4)
        #expect(after.transactions - before.transactions == 1 + 3, "the holder, then 4 + 4 + 2")
        #expect(after.rerunBatches == before.rerunBatches, "a batch whose steps all succeed runs once")
        #expect(try await limited.store.license(id: limited.license.id)?.validationCount == 10)
    }

    @Test func concurrentValidationsCommitTogetherAndAllCount() async throws {
        let before = store.groupCommitStatistics
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { for _ in 0..<50 { _ = try await validate() } } }
            try await group.waitForAll()
        }
        let after = store.groupCommitStatistics
        #expect(after.steps - before.steps == 800)
        let rows = try await store.allUsageHistory(licenseID: license.id)
        #expect(rows.count == 800)
        #expect(Set(rows.map(\.id)).count == 800)
        #expect(try await store.license(id: license.id)?.validationCount == 800)
    }
}
