import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The single writer of a ``SQLiteStore``: it commits the write steps of concurrent callers
/// together (group commit), so that a busy store pays one commit — its WAL frames, locks and
/// checkpoints — for many steps instead of one each.
///
/// How a step runs:
/// - A caller's step waits in a queue. When the writer is free it takes every waiting step (at
///   most ``limit``), opens one `BEGIN IMMEDIATE` transaction, runs the steps one after another,
///   commits once, and only then resumes the callers, each with its own result.
/// - A lone step is run at once and alone, exactly as without batching: there is no timer and no
///   waiting for a batch to fill.
/// - A step that throws (a constraint, a damaged row, a refused decision) rolls back alone; its
///   batch-mates commit. The first run of a batch has no savepoints (they cost a sixth to a third
///   of a validation); when a step throws in it, the whole transaction is rolled back and the batch
///   runs again with a `SAVEPOINT` around each step, where the failing step's savepoint is rolled
///   back. When SQLite aborts the whole transaction (it does after `SQLITE_FULL` and some I/O
///   errors) or the commit fails, every step of the batch fails with `unavailable`: no caller is
///   told a step succeeded unless its transaction committed.
/// - Each step reads the clock when it starts, with the write lock held, so timestamps follow
///   commit order as before.
///
/// All SQLite work runs on GRDB's writer queue, never on the cooperative thread pool. After a
/// few batches in a row the writer yields the queue, so that other work queued there (a schema
/// step, a backup) is not starved by a steady stream of steps.
final class GroupCommitWriter: Sendable {
    /// What the transactions so far came to.
    private struct Outcomes {
        var failure: StorageError?
        var statistics = GroupCommitStatistics()
    }

    private struct Queue {
        var waiting: [any GroupedStep] = []
        /// Whether a drain is scheduled or running on GRDB's writer queue.
        var draining = false
    }

    /// The most steps one transaction holds.
    let limit: Int
    private let writer: any DatabaseWriter
    private let clock: @Sendable () -> Date
    private let queue = Mutex(Queue())
    private let outcomes = Mutex(Outcomes())
    /// The writer connection's WAL checkpoints (``WALCheckpoints``).
    let checkpoints = WALCheckpoints()
    /// Batches run in one turn on GRDB's writer queue before it is yielded to other work.
    private static let batchesPerTurn = 8

    init(writer: any DatabaseWriter, limit: Int, clock: @escaping @Sendable () -> Date) {
        self.writer = writer
        self.limit = max(1, limit)
        self.clock = clock
    }

    /// Runs `body` as one atomic step (alone or in a shared transaction) and returns its result
    /// once its transaction has committed. `body` receives the step's time, read with the write
    /// lock held. A task cancelled before its step is queued fails with `unavailable`; once queued,
    /// the step runs (its result may already be committed with others').
    func perform<T: Sendable>(_ body: @escaping @Sendable (Database, Date) throws -> T) async throws(StorageError) -> T {
        if Task.isCancelled { throw StorageError(.unavailable, "the operation was cancelled", underlying: CancellationError()) }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                enqueue(PendingStep(body: body, continuation: continuation))
            }
        } catch {
            throw SQLiteStore.map(error)
        }
    }

    /// Why the last write failed for a reason outside the steps themselves (a full disk, an I/O
    /// error, a read-only or damaged file), or `nil` when the last transaction committed.
    var lastFailure: StorageError? { outcomes.withLock { $0.failure } }

    /// Counts of the transactions committed so far.
    var statistics: GroupCommitStatistics { outcomes.withLock { $0.statistics } }

    /// How many steps wait for the writer now (for tests).
    var waitingCount: Int { queue.withLock { $0.waiting.count } }

    // MARK: The queue

    private func enqueue(_ step: any GroupedStep) {
        let startsDrain = queue.withLock { queue in
            queue.waiting.append(step)
            guard !queue.draining else { return false }
            queue.draining = true
            return true
        }
        if startsDrain { scheduleDrain() }
    }

    private func scheduleDrain() {
        writer.asyncWriteWithoutTransaction { [self] db in drain(db) }
    }

    /// Runs batches until no step waits, or until this turn's share of the writer queue is used.
    private func drain(_ db: Database) {
        checkpoints.takeOver(db)
        for _ in 0..<Self.batchesPerTurn {
            guard let batch = nextBatch() else { return }
            commit(batch, in: db)
            checkpoints.runIfDue(db, idle: waitingCount == 0)
        }
        let more = queue.withLock { queue in
            if queue.waiting.isEmpty { queue.draining = false }
            return queue.draining
        }
        if more { scheduleDrain() }
    }

    /// The waiting steps, oldest first and at most ``limit``; `nil` (and the drain ends) when none waits.
    private func nextBatch() -> [any GroupedStep]? {
        queue.withLock { queue in
            guard !queue.waiting.isEmpty else {
                queue.draining = false
                return nil
            }
            guard queue.waiting.count > limit else {
                defer { queue.waiting.removeAll(keepingCapacity: true) }
                return queue.waiting
            }
            defer { queue.waiting.removeFirst(limit) }
            return Array(queue.waiting.prefix(limit))
        }
    }

    // MARK: One transaction

    /// Runs `batch` in one transaction and resumes every step's caller.
    ///
    /// A batch of several steps is first run plainly, one step after another. Savepoints cost a
    /// sixth to a third of a validation (SQLite copies every page a step first touches into the
    /// savepoint's journal), and a step almost never fails; so only when one does is the whole
    /// transaction rolled back and the batch run again with a savepoint around each step, in which
    /// the failing step rolls back alone. Each step then runs twice — its body is a pure function of
    /// what it reads (the `Store` contract) — and reads the clock again, so times still follow
    /// commit order.
    private func commit(_ batch: [any GroupedStep], in db: Database) {
        if batch.count > 1, runPlainly(batch, in: db) { return }
        let shared = batch.count > 1
        if shared { outcomes.withLock { $0.statistics.rerunBatches += 1 } }
        do {
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        } catch {
            fail(batch, because: error)
            return
        }
        var failures: [(any Error)?] = Array(repeating: nil, count: batch.count)
        for (index, step) in batch.enumerated() {
            do {
                if shared { try db.cachedStatement(sql: "SAVEPOINT step").execute() }
                try step.run(db, at: Timestamp.truncated(clock()))
                if shared { try db.cachedStatement(sql: "RELEASE SAVEPOINT step").execute() }
            } catch {
                failures[index] = error
                if shared, db.isInsideTransaction, Self.rollBackSavepoint(db) { continue }
                // SQLite aborted the transaction (or it could not be kept): nothing of the batch stands.
                if db.isInsideTransaction { try? db.rollback() }
                fail(batch, because: error, failing: index)
                return
            }
        }
        guard db.isInsideTransaction else {
            fail(batch, because: DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted"))
            return
        }
        finish(batch, failures: failures, in: db)
    }

    /// Runs every step of `batch` in one transaction without savepoints and commits it. Returns
    /// `false`, with the transaction rolled back and no caller resumed, when a step threw, so that
    /// ``commit(_:in:)`` runs the batch again with savepoints; otherwise every caller is resumed
    /// (failed, when beginning or committing failed).
    private func runPlainly(_ batch: [any GroupedStep], in db: Database) -> Bool {
        do {
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        } catch {
            fail(batch, because: error)
            return true
        }
        do {
            for step in batch { try step.run(db, at: Timestamp.truncated(clock())) }
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            return false
        }
        guard db.isInsideTransaction else { return false }
        finish(batch, failures: Array(repeating: nil, count: batch.count), in: db)
        return true
    }

    /// Commits the open transaction and resumes every step's caller: with its own failure (a step
    /// rolled back to its savepoint) or result; all with `unavailable` when the commit fails.
    private func finish(_ batch: [any GroupedStep], failures: [(any Error)?], in db: Database) {
        do {
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            fail(batch, because: error)
            return
        }
        outcomes.withLock { outcomes in
            outcomes.failure = nil
            outcomes.statistics.record(batchOf: batch.count)
        }
        for (step, stepFailure) in zip(batch, failures) { step.complete(throwing: stepFailure) }
    }

    /// Undoes the current step's savepoint and ends it; `false` when SQLite refused.
    private static func rollBackSavepoint(_ db: Database) -> Bool {
        do {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT step").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT step").execute()
            return true
        } catch {
            return false
        }
    }

    /// Fails every step of a batch whose transaction did not commit. The step at `failing` (the
    /// one whose error ended it) gets its own error; its batch-mates get `unavailable`, naming the
    /// cause. A batch of one gets its own error, as it would without batching.
    private func fail(_ batch: [any GroupedStep], because error: any Error, failing: Int? = nil) {
        let mapped = SQLiteStore.map(error)
        if Self.isWriteFailure(error) { outcomes.withLock { $0.failure = mapped } }
        guard batch.count > 1 else {
            batch.first?.complete(throwing: failing == nil ? Self.commitFailure(mapped) : error)
            return
        }
        let shared = StorageError(
            .unavailable, "the transaction this step shared was not committed: \(mapped.message)", underlying: error)
        for (index, step) in batch.enumerated() { step.complete(throwing: index == failing ? error : shared) }
    }

    /// A failure to begin or commit is never a success, and a caller may retry it: `unavailable`
    /// (a busy lock, a full disk and an I/O error are already).
    private static func commitFailure(_ error: StorageError) -> StorageError {
        error.code == .unavailable ? error : StorageError(.unavailable, "the transaction was not committed: \(error.message)", underlying: error)
    }

    /// Whether an error says the database cannot take writes (rather than that one step was wrong).
    private static func isWriteFailure(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_NOMEM, .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return true
        default:
            return false
        }
    }
}

/// The WAL checkpoints of the writer connection, moved out of the commit.
///
/// SQLite's automatic checkpoint runs inside the `COMMIT` that takes the write-ahead log past 1,000
/// pages: it copies the log's pages into the database file and syncs it, about a tenth of the
/// writer's time under load, while the batch's callers wait for the commit to return. Here the
/// writer connection's automatic checkpoint is turned off and the writer runs the same `PASSIVE`
/// checkpoint itself, after the callers are resumed: at once when no step waits, and when steps
/// keep coming, once the log holds four times as many new pages, so that it stays bounded. The
/// pages are counted with `SQLITE_DBSTATUS_CACHE_WRITE` (pages this connection wrote to the log).
/// Other connections, and other processes such as `tmwsctl`, keep SQLite's automatic checkpoint.
/// A failed checkpoint (a full disk) is left to the next one, as SQLite's own would be; the
/// write that fails reports the cause.
final class WALCheckpoints: Sendable {
    private struct State {
        var installed = false
        var pagesSinceCheckpoint: Int32 = 0
        var checkpoints = 0
    }

    /// SQLite's default `wal_autocheckpoint`.
    static let pages: Int32 = 1000
    /// With steps waiting, a checkpoint waits for this many pages.
    static let busyPages: Int32 = 4 * pages
    private let state = Mutex(State())

    /// Checkpoints run so far (for tests).
    var count: Int { state.withLock { $0.checkpoints } }

    /// Turns off the automatic checkpoint of `db` (the writer connection), once.
    func takeOver(_ db: Database) {
        let first = state.withLock { state in
            defer { state.installed = true }
            return !state.installed
        }
        guard first else { return }
        sqlite3_wal_autocheckpoint(db.sqliteConnection, 0)
        _ = pagesWritten(db)
    }

    /// Runs a checkpoint when enough pages have been written since the last one.
    func runIfDue(_ db: Database, idle: Bool) {
        let written = pagesWritten(db)
        let due = state.withLock { state in
            guard state.installed else { return false }
            state.pagesSinceCheckpoint += written
            guard state.pagesSinceCheckpoint >= (idle ? Self.pages : Self.busyPages) else { return false }
            state.pagesSinceCheckpoint = 0
            state.checkpoints += 1
            return true
        }
        if due { sqlite3_wal_checkpoint_v2(db.sqliteConnection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
    }

    /// Pages written to the log by `db` since the last call.
    private func pagesWritten(_ db: Database) -> Int32 {
        var current: Int32 = 0
        var highwater: Int32 = 0
        sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highwater, 1)
        return current
    }
}

/// Counts of the transactions a ``SQLiteStore`` has committed, and how many write steps they held.
public struct GroupCommitStatistics: Sendable, Hashable {
    /// Transactions committed.
    public internal(set) var transactions = 0
    /// Write steps in those transactions (each step committed or rolled back to its savepoint).
    public internal(set) var steps = 0
    /// The most steps one transaction held.
    public internal(set) var largestBatch = 0
    /// Shared transactions run a second time, with a savepoint around each step, because a step
    /// failed in the first run (which has no savepoints).
    public internal(set) var rerunBatches = 0

    /// Steps per committed transaction (1 when no steps were committed together).
    public var averageBatch: Double { transactions == 0 ? 1 : Double(steps) / Double(transactions) }

    mutating func record(batchOf count: Int) {
        transactions += 1
        steps += count
        largestBatch = max(largestBatch, count)
    }
}

/// A step waiting for the writer, its result type erased.
private protocol GroupedStep: AnyObject, Sendable {
    /// Runs the step's body inside the open transaction, keeping its result.
    func run(_ db: Database, at now: Date) throws
    /// Resumes the caller: with the kept result when `error` is `nil`, else with `error`.
    func complete(throwing error: (any Error)?)
}

private final class PendingStep<T: Sendable>: GroupedStep, @unchecked Sendable {
    // @unchecked: `result` is written by `run` and read by `complete`, both on GRDB's writer
    // queue, one after the other; the step is then released.
    private let body: @Sendable (Database, Date) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var result: T?

    init(body: @escaping @Sendable (Database, Date) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ db: Database, at now: Date) throws {
        result = try body(db, now)
    }

    func complete(throwing error: (any Error)?) {
        if let error {
            continuation.resume(throwing: error)
        } else if let result {
            continuation.resume(returning: result)
        } else {
            continuation.resume(throwing: StorageError(.internalError, "a committed step has no result"))
        }
    }
}
