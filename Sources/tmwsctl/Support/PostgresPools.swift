import Synchronization
import TMWSStorage
import TMWSStoragePostgres

/// The PostgreSQL connection pools this run of tmwsctl opened: one per URL, running until
/// ``closeAll()``, which `main` calls before the process exits so connections end cleanly.
enum PostgresPools {
    private struct Running: Sendable {
        var stores: [String: PostgresStore] = [:]
        var tasks: [Task<Void, Never>] = []
    }

    private static let running = Mutex(Running())

    /// The store for `url`, its pool started on first use — after one direct connection has
    /// shown that the server is reachable and accepts the credentials.
    static func store(url: String) async throws -> PostgresStore {
        let configuration = try PostgresStore.Configuration(url: url)
        if let store = running.withLock({ $0.stores[url] }) { return store }
        let store = PostgresStore(configuration: configuration, logger: LogSetup.logger)
        try await store.checkConnection()
        return running.withLock { running in
            if let existing = running.stores[url] { return existing }
            running.stores[url] = store
            running.tasks.append(Task { await store.run() })
            return store
        }
    }

    /// Stops every pool and waits for its connections to close.
    static func closeAll() async {
        let tasks = running.withLock { running in
            defer { running = Running() }
            return running.tasks
        }
        for task in tasks {
            task.cancel()
            await task.value
        }
    }
}
