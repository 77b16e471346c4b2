import Foundation
import Synchronization

/// A manually driven clock for tests: time stands still until advanced. The conformance checks
/// run on one; tests of services share one between the store and the service.
///
/// Pass ``now`` to a store and to a service so that both see the same time.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// A clock at `start` (default 2026-01-01T00:00:00Z).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        current = Mutex(start)
    }

    /// The current time.
    public var date: Date { current.withLock { $0 } }

    /// The clock as the closure stores and services take.
    public var now: @Sendable () -> Date { { [self] in date } }

    /// Moves the clock forward (or back, with a negative interval).
    public func advance(by interval: TimeInterval) {
        current.withLock { $0 += interval }
    }

    /// Sets the clock.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
