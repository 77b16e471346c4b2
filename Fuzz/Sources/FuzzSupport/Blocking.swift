import Dispatch

/// Runs async work to completion from libFuzzer's synchronous callback.
///
/// The callback runs on libFuzzer's own thread, never on the cooperative pool, so waiting on a
/// semaphore there cannot starve the task it waits for.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return box.result!
}

/// Written once by the task before `signal()`, read once after `wait()`: the semaphore orders the
/// two accesses, so no lock is needed.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
