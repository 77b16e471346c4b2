import BenchmarkFixtures
import Foundation
import TMWS
import TMWSStoragePostgres

// A plain loop of full validations, for profilers that should see nothing but the work itself
// (`perf record`, `strace -c`): the benchmark tool's harness and its build steps stay out of the
// profile. See ../../../BENCHMARKS.md, "Profiling".
//
//     [GROUP_COMMIT_LIMIT=n] [LICENSES=n] validation-profile [sqlite|memory|postgres|raw] [count] [tasks]
//
// With `tasks` above 1, that many tasks share the count and run at once on one store: the
// in-process rate at a given concurrency, which the serving benchmark sets beside the HTTP rate
// at the same number of connections (BENCHMARKS.md, "Serving layer").
// - `sqlite`: GROUP_COMMIT_LIMIT sets the store's group-commit limit (1: every step commits alone,
//   as before group commit); the line printed gives the transactions and the average batch.
// - `postgres`: the database named by TMWS_BENCH_POSTGRES_URL, whose `search_path` schema must be
//   empty (the loop creates the tables there).
// - LICENSES=n spreads the validations over n licenses (default 1: one hot license).
// - CHECKOUT=1 runs `checkout_license` (validation plus a signed license token) instead, one step as
//   the tool runs it.
// - `raw`: the raw-SQLite floor; `tasks` is the batch size of its batched twin
//   (`RawSQLiteBaseline.validateBatch`): that many validations per transaction, as group commit runs
//   them; RAW_SAVEPOINTS=1 puts each in its own savepoint, as a batch that is run again does.

let environment = ProcessInfo.processInfo.environment
let arguments = Array(CommandLine.arguments.dropFirst())
let backend = arguments.first ?? "sqlite"
let groupCommitLimit = environment["GROUP_COMMIT_LIMIT"].flatMap(Int.init) ?? SQLiteStore.Configuration().groupCommitLimit
let licenseCount = environment["LICENSES"].flatMap(Int.init) ?? 1
let checkout = environment["CHECKOUT"] == "1"
guard ["sqlite", "memory", "postgres", "raw"].contains(backend), let count = Int(arguments.count > 1 ? arguments[1] : "20000"), count > 0,
    let tasks = Int(arguments.count > 2 ? arguments[2] : "1"), tasks > 0, groupCommitLimit > 0, licenseCount > 0,
    backend != "postgres" || environment["TMWS_BENCH_POSTGRES_URL"] != nil
else {
    FileHandle.standardError.write(
        Data(
            ("usage: [GROUP_COMMIT_LIMIT=n] [LICENSES=n] [CHECKOUT=1] [TMWS_BENCH_POSTGRES_URL=url] "
                + "validation-profile [sqlite|memory|postgres|raw] [count] [tasks]\n").utf8))
    exit(2)
}

struct Measurement {
    var elapsed: Duration
    var valid: Int
    var detail = ""
}

/// Runs the loop off the main actor, as the benchmarks do: top-level code is main-actor isolated,
/// and each `await` would otherwise hop back to the main thread.
@concurrent func measure(_ fixture: Fixture) async throws -> Measurement {
    let clock = ContinuousClock()
    if backend == "raw" {
        let baseline = try RawSQLiteBaseline(fixture: fixture)
        let elapsed = clock.measure {
            for start in stride(from: 0, to: count, by: tasks) {
                baseline.validateBatch(of: min(tasks, count - start), savepoints: environment["RAW_SAVEPOINTS"] == "1") {
                    Timestamp.sqliteText(Date())
                }
            }
        }
        return Measurement(elapsed: elapsed, valid: count, detail: tasks > 1 ? ", batches of \(tasks)" : "")
    }
    let keys = licenseCount > 1 ? [fixture.key] + (try await fixture.moreKeys(licenseCount - 1)) : [fixture.key]
    let before = fixture.groupCommitStatistics
    let start = clock.now
    let valid = try await withThrowingTaskGroup(of: Int.self) { group in
        for task in 0..<tasks {
            let share = count / tasks + (task < count % tasks ? 1 : 0)
            group.addTask {
                var valid = 0
                for call in 0..<share {
                    let key = keys[(task + call * tasks) % keys.count]
                    if checkout ? try await fixture.checkout(key: key) != nil : try await fixture.validate(key: key) { valid += 1 }
                }
                return valid
            }
        }
        return try await group.reduce(0, +)
    }
    var measurement = Measurement(elapsed: clock.now - start, valid: valid)
    if licenseCount > 1 { measurement.detail += ", over \(licenseCount) licenses" }
    if let before, let after = fixture.groupCommitStatistics {
        let transactions = after.transactions - before.transactions
        let average = transactions == 0 ? 0 : Double(after.steps - before.steps) / Double(transactions)
        measurement.detail +=
            ", group commit limit \(groupCommitLimit): \(transactions) transactions, average batch \(String(format: "%.1f", average))"
    }
    return measurement
}

@concurrent func run() async throws -> Measurement {
    guard backend == "postgres" else {
        let fixture = try await Fixture.make(sqliteFile: backend != "memory", groupCommitLimit: groupCommitLimit)
        defer { if let directory = fixture.directory { try? FileManager.default.removeItem(atPath: directory) } }
        return try await measure(fixture)
    }
    var configuration = try PostgresStore.Configuration(url: environment["TMWS_BENCH_POSTGRES_URL"]!)
    configuration.poolSize = max(configuration.poolSize, min(tasks, 32))
    return try await PostgresStore.withRunning(configuration) { store in
        try await store.upgrade()
        return try await measure(try await Fixture.make(store: store))
    }
}

let measurement = try await run()
let micros = Double(measurement.elapsed.components.seconds) * 1e6 + Double(measurement.elapsed.components.attoseconds) / 1e12
let rate = Int(Double(count) / (micros / 1e6))
print(
    "\(backend): \(count) \(checkout ? "checkouts" : "validations") (\(measurement.valid) VALID) by \(tasks) task(s) in \(Int(micros / 1000)) ms, "
        + "\(String(micros / Double(count))) µs each, \(rate)/s\(measurement.detail)")
