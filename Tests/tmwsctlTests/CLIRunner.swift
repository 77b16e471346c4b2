import Foundation

/// Runs the built `tmwsctl` binary against a temporary directory, with `HOME` pointed there so
/// nothing touches the real `~/.tmws`.
struct CLIRunner {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let directory: URL
    var databasePath: String { directory.appendingPathComponent("data/tmws.db").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tmwsctl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("home"), withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `tmwsctl ARGS` with `--db` defaulting to this runner's database (via the environment).
    ///
    /// Waits for the process without holding a thread: a synchronous `waitUntilExit()` parks one
    /// of Swift's cooperative threads for the whole run, and a few CLI tests in parallel (two
    /// threads on a 2-core machine) stalled every other test of the suite.
    func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:]) async throws -> Outcome {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.appendingPathComponent("home").path
        environment["TMWS_DATABASE_URL"] = "sqlite:///" + databasePath
        environment["TMWS_SECRET_KEY"] = nil
        environment["TMWS_SECRET_KEY_FILE"] = nil
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent("out-\(id)"), errURL = directory.appendingPathComponent("err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let inURL = directory.appendingPathComponent("in-\(id)")
            try Data(stdin.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        var launchError: (any Error)?
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in finished.resume() }
            do {
                try process.run()
            } catch {
                launchError = error
                process.terminationHandler = nil
                finished.resume()
            }
        }
        if let launchError { throw launchError }
        return Outcome(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// The built binary: `TMWSCTL`, else `tmwsctl` beside the test bundle, else under the package's scratch directories.
    static func binary() throws -> URL {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["TMWSCTL"], fm.isExecutableFile(atPath: explicit) {
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("tmwsctl"))
            directory = directory.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scratch = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix(".build") }.sorted()
        candidates += scratch.map { root.appendingPathComponent($0).appendingPathComponent("debug/tmwsctl") }
        guard let found = candidates.first(where: { fm.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "tmwsctl (build it first: swift build --product tmwsctl)"])
        }
        return found
    }
}
