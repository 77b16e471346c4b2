import BenchmarkFixtures
import Foundation
import TMWS

// A plain loop of full validations, for profilers that should see nothing but the work itself
// (`perf record`, `strace -c`): the benchmark tool's harness and its build steps stay out of the
// profile. See ../../../BENCHMARKS.md, "Profiling".
//
//     validation-profile [sqlite|memory|raw] [count]

let arguments = CommandLine.arguments.dropFirst()
let backend = arguments.first ?? "sqlite"
guard ["sqlite", "memory", "raw"].contains(backend), let count = Int(arguments.dropFirst().first ?? "20000"), count > 0 else {
    FileHandle.standardError.write(Data("usage: validation-profile [sqlite|memory|raw] [count]\n".utf8))
    exit(2)
}

/// Runs the loop off the main actor, as the benchmarks do: top-level code is main-actor isolated,
/// and each `await` would otherwise hop back to the main thread.
@concurrent func measure(backend: String, count: Int) async throws -> (elapsed: Duration, valid: Int) {
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
    var valid = 0
    let start = clock.now
    for _ in 0..<count where try await fixture.validateOnce() { valid += 1 }
    return (clock.now - start, valid)
}

let (elapsed, valid) = try await measure(backend: backend, count: count)
let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
print("\(backend): \(count) validations (\(valid) VALID) in \(Int(micros / 1000)) ms, \(String(micros / Double(count))) µs each")
