import Foundation
import Synchronization
import TMWSTestSupport
import Testing

@testable import TMWSStorage

/// A SQLite store on a real filesystem that fills up (a small tmpfs this suite mounts and
/// unmounts): under concurrent load, every write step fails `unavailable` and nothing is
/// acknowledged that is not stored; reads go on; `ping` names the cause; once space is freed the
/// same store writes again. A backup into a full directory fails clearly and leaves no file.
@Suite(.serialized, .enabled(if: TmpfsMount.isAvailable, "mounts a tmpfs, which needs root (CI runs as root)"))
struct DiskFullTests {
    /// What the load saw: the usage rows and licenses it was told were written, and its failures.
    struct Outcomes {
        var acknowledgedUsage: Set<Int64> = []
        var acknowledgedLicenses: Set<UUID> = []
        var failures = 0
        var failuresSinceLastSuccess = 0
        var unexpected: [String] = []
    }

    /// The load's shared state.
    final class Load: Sendable {
        let outcomes = Mutex(Outcomes())
        let stopped = Mutex(false)
    }

    @Test func aFullDiskFailsWritesClosedAndTheSameStoreRecoversWhenSpaceIsFreed() async throws {
        let disk = try TmpfsMount(kibibytes: 16 * 1024)
        let store = try await SQLiteStore.open(path: disk.path + "/tmws.db", migrate: true)
        let owner = try await store.createAgent(NewAgent(name: "owner", namespace: "default", role: "editor"))
        let license = try await store.insertLicense(
            NewLicense(id: UUID(), ownerID: owner.id, namespace: "default", tier: "PRO", keyHash: "hash", issuedAt: Date(), expiresAt: nil))

        let shared = Load()
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        var round = 0
                        while !shared.stopped.withLock({ $0 }) {
                            round += 1
                            do {
                                if task == 0, round % 10 == 0 {
                                    let id = UUID()
                                    _ = try await store.insertLicense(
                                        NewLicense(
                                            id: id, ownerID: owner.id, namespace: "default", tier: "PRO", keyHash: "hash-\(id)",
                                            issuedAt: Date(), expiresAt: nil))
                                    _ = shared.outcomes.withLock { $0.acknowledgedLicenses.insert(id) }
                                } else {
                                    let recorded = try await store.recordValidation(
                                        licenseID: license.id, agentID: owner.id, featureAccessed: "disk-full"
                                    ) { _, _ in .valid }
                                    shared.outcomes.withLock {
                                        $0.acknowledgedUsage.insert(recorded.usage.id)
                                        $0.failuresSinceLastSuccess = 0
                                    }
                                }
                            } catch let error as StorageError where error.code == .unavailable {
                                shared.outcomes.withLock {
                                    $0.failures += 1
                                    $0.failuresSinceLastSuccess += 1
                                }
                                try await Task.sleep(for: .milliseconds(1))
                            } catch {
                                shared.outcomes.withLock { $0.unexpected.append(String(describing: error)) }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        defer { load.cancel() }

        // The load writes before the disk fills.
        let started = ContinuousClock.now + .seconds(30)
        while shared.outcomes.withLock({ $0.acknowledgedUsage.count < 50 }) {
            try #require(ContinuousClock.now < started, "the load wrote nothing before the disk filled")
            try await Task.sleep(for: .milliseconds(10))
        }
        try disk.fill()
        // Writes keep failing once the database can no longer grow.
        let deadline = ContinuousClock.now + .seconds(60)
        while shared.outcomes.withLock({ $0.failuresSinceLastSuccess < 400 }) {
            try #require(ContinuousClock.now < deadline, "writes did not start failing on a full disk")
            try await Task.sleep(for: .milliseconds(20))
        }

        // Reads that need no write go on; ping names the cause.
        #expect(try await store.license(id: license.id) != nil)
        _ = try await store.usageHistory(licenseID: license.id, page: PageRequest(limit: 10))
        let ping = await #expect(throws: StorageError.self) { try await store.ping() }
        #expect(ping?.code == .unavailable)
        #expect(ping?.message.contains("disk is full") == true, "ping says why: \(ping?.message ?? "")")

        // Space comes back: the same store writes again, and ping is healthy.
        disk.free()
        try await store.ping()
        let recovered = ContinuousClock.now + .seconds(30)
        let acknowledgedAtFree = shared.outcomes.withLock { $0.acknowledgedUsage.count }
        while shared.outcomes.withLock({ $0.acknowledgedUsage.count }) < acknowledgedAtFree + 100 {
            try #require(ContinuousClock.now < recovered, "writes did not recover after space was freed")
            try await Task.sleep(for: .milliseconds(20))
        }
        shared.stopped.withLock { $0 = true }
        try await load.value

        let seen = shared.outcomes.withLock { $0 }
        #expect(seen.unexpected.isEmpty, "every failure was unavailable: \(seen.unexpected.prefix(3))")
        #expect(seen.failures >= 400)
        // Nothing acknowledged is lost, and the file is intact.
        let stored = Set(try await store.allUsageHistory(licenseID: license.id).map(\.id))
        #expect(seen.acknowledgedUsage.isSubset(of: stored), "\(seen.acknowledgedUsage.subtracting(stored).count) acknowledged rows lost")
        #expect(try await store.license(id: license.id)?.validationCount == Int64(stored.count))
        for id in seen.acknowledgedLicenses { #expect(try await store.license(id: id) != nil) }
        #expect(try await store.integrityProblems().isEmpty)
    }

    @Test func aBackupIntoAFullDirectoryFailsClearlyAndLeavesNoFile() async throws {
        let source = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: source.path + "/tmws.db", migrate: true)
        let owner = try await store.createAgent(NewAgent(name: "owner", namespace: "default"))
        for _ in 0..<2000 {
            _ = try await store.appendAuditEvent(
                NewAuditEvent(eventType: "filler", severity: .info, userID: owner.id, details: ["padding": String(repeating: "x", count: 200)]))
        }
        let disk = try TmpfsMount(kibibytes: 256)
        try disk.fill()
        let destination = disk.path + "/backup.db"
        let error = await #expect(throws: StorageError.self) { try await store.backup(to: destination) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("disk is full") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(destination) == true, "the message names the file: \(error?.message ?? "")")
        for suffix in ["", "-journal", "-wal", "-shm"] {
            #expect(!FileManager.default.fileExists(atPath: destination + suffix), "left \(destination + suffix) behind")
        }
    }
}
