import Foundation
import Synchronization

/// Where a ``LicenseVerifier`` keeps the newest time it has seen, to notice a clock turned back
/// to make an expired token look current (`CLOCK_ROLLBACK`).
///
/// The verifier notes the current time, and the issue time of each authentic token, after every
/// verification whose signature is good; an app keeps the store across launches
/// (``FileVerifierClock``) so that turning the clock back after a restart is noticed too.
public protocol VerifierClock: Sendable {
    /// The newest time seen so far, or `nil` before the first.
    func newestSeen() -> Date?
    /// Notes a time; a time older than the newest seen changes nothing.
    func noteSeen(_ date: Date)
}

/// A ``VerifierClock`` in memory: it lasts as long as the process.
public final class InMemoryVerifierClock: VerifierClock {
    private let newest: Mutex<Date?>

    public init(newestSeen: Date? = nil) { newest = Mutex(newestSeen) }

    public func newestSeen() -> Date? { newest.withLock { $0 } }

    public func noteSeen(_ date: Date) {
        newest.withLock { value in if value.map({ date > $0 }) ?? true { value = date } }
    }
}

/// A ``VerifierClock`` in a small file (one number: seconds since 1970), so that it survives a
/// restart. The file is replaced atomically (a temporary file in the same directory, then a
/// rename) and written only when the newest time moves on by at least `granularity` seconds. A
/// missing or unreadable file counts as nothing seen yet; writes that fail are ignored (the
/// in-memory value still protects the running process).
public final class FileVerifierClock: VerifierClock {
    public let path: String
    private let granularity: TimeInterval
    private let state: Mutex<(newest: Date?, written: Date?)>

    /// - Parameters:
    ///   - path: the file, created on the first note.
    ///   - granularity: how far the newest time must move on before the file is written again.
    public init(path: String, granularity: TimeInterval = 60) {
        self.path = path
        self.granularity = granularity
        let stored = (try? String(contentsOfFile: path, encoding: .utf8))
            .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }
        state = Mutex((stored, stored))
    }

    public func newestSeen() -> Date? { state.withLock { $0.newest } }

    public func noteSeen(_ date: Date) {
        let write: Date? = state.withLock { state in
            guard state.newest.map({ date > $0 }) ?? true else { return nil }
            state.newest = date
            guard state.written.map({ date.timeIntervalSince($0) >= granularity }) ?? true else { return nil }
            state.written = date
            return date
        }
        guard let write else { return }
        let temporary = path + ".tmp-\(UUID().uuidString)"
        do {
            try String(Int64(write.timeIntervalSince1970.rounded(.down))).write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }
}
