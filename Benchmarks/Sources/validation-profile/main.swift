import BenchmarkFixtures
import Foundation
import TMWS

// A plain loop of full validations, for profilers that should see nothing but the work itself
// (`perf record`, `strace -c`): the benchmark tool's harness and its build steps stay out of the
// profile. See ../../../BENCHMARKS.md, "Profiling".
//
//     validation-profile [sqlite|memory|raw] [count] [tasks]
//
// With `tasks` above 1 (not for `raw`), that many tasks share the count and run at once on one
// store: the in-process rate at a given concurrency, which the serving benchmark sets beside the
// HTTP rate at the same number of connections (BENCHMARKS.md, "Serving layer").

let arguments = Array(CommandLine.arguments.dropFirst())
let backend = arguments.first ?? "sqlite"
guard ["sqlite", "memory", "raw"].contains(backend), let count = Int(arguments.count > 1 ? arguments[1] : "20000"), count > 0,
    let tasks = Int(arguments.count > 2 ? arguments[2] : "1"), tasks > 0, tasks == 1 || backend != "raw"
else {
    FileHandle.standardError.write(Data("usage: validation-profile [sqlite|memory|raw] [count] [tasks]\n".utf8))
    exit(2)
}

/// Runs the loop off the main actor, as the benchmarks do: top-level code is main-actor isolated,
/// and each `await` would otherwise hop back to the main thread.
@concurrent func measure(backend: String, count: Int, tasks: Int) async throws -> (elapsed: Duration, valid: Int) {
    let fixture = try await Fixture.make(sqliteFile: backend != "memory")
    defer { if let directory = fixture.directory { try? FileManager.default.removeItem(atPath: directory) } }
    let clock = ContinuousClock()
    if backend == "raw" {
        let baseline = try RawSQLiteBaseline(fixture: fixture)
        let elapsed = clock.measure {
            for _ in 0..<count { baseline.validateOnce(now: Timestamp.sqliteText(Date())) }
        }
        return (elapsed, count)
    }
    let start = clock.now
    let valid = try await withThrowingTaskGroup(of: Int.self) { group in
        for task in 0..<tasks {
            let share = count / tasks + (task < count % tasks ? 1 : 0)
            group.addTask {
                var valid = 0
                for _ in 0..<share where try await fixture.validateOnce() { valid += 1 }
                return valid
            }
        }
        return try await group.reduce(0, +)
    }
    return (clock.now - start, valid)
}

let (elapsed, valid) = try await measure(backend: backend, count: count, tasks: tasks)
let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
let rate = Int(Double(count) / (micros / 1e6))
print(
    "\(backend): \(count) validations (\(valid) VALID) by \(tasks) task(s) in \(Int(micros / 1000)) ms, "
        + "\(String(micros / Double(count))) µs each, \(rate)/s")
