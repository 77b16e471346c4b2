import Foundation
import TMWSStorage

/// The backends every conformance and service test runs against.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case sqliteFile
    case sqliteMemory

    public var description: String { rawValue }

    /// Creates an empty store of this backend, migrated to head.
    ///
    /// File databases live in a fresh temporary directory, removed when the returned
    /// ``TemporaryStore`` is released.
    public func makeStore(clock: @escaping @Sendable () -> Date = { Date() }) async throws -> TemporaryStore {
        switch self {
        case .memory:
            return TemporaryStore(store: MemoryStore(clock: clock), directory: nil)
        case .sqliteMemory:
            return TemporaryStore(store: try SQLiteStore(inMemoryWith: .init(), clock: clock), directory: nil)
        case .sqliteFile:
            let directory = try TemporaryDirectory()
            let store = try await SQLiteStore.open(path: directory.path + "/tmws.db", migrate: true, clock: clock)
            return TemporaryStore(store: store, directory: directory)
        }
    }
}

/// A store made for a test, with the temporary directory that holds its files (if any).
public struct TemporaryStore: Sendable {
    public let store: any Store
    public let directory: TemporaryDirectory?
}

/// A directory under the system's temporary directory, removed on deinit.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/tmws-test-" + UUID().canonicalText
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
