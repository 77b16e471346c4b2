import Foundation
import TMWSRBAC
import TMWSStorage

extension AuditService {
    /// Follows the audit log (`system:audit`: admin): checks the permission once, then yields every
    /// new event matching `filter`, oldest first, polling the store. Polling does not write audit
    /// rows of its own, so following never feeds itself.
    /// - Parameters:
    ///   - principal: the caller, an admin.
    ///   - filter: which events to yield.
    ///   - afterID: yield only events with a larger id (`nil`: only events appended from now on).
    ///   - pollInterval: how often to look for new events.
    /// - Throws: `permissionDenied`, `unavailable` (before the stream starts); the stream throws a
    ///   ``LicenseError`` when storage fails later.
    public func follow(
        as principal: Principal, filter: AuditFilter = AuditFilter(), afterID: Int64? = nil, pollInterval: Duration = .seconds(1)
    ) async throws(LicenseError) -> AsyncThrowingStream<AuditEvent, any Error> {
        let start = try await auditFollowStart(as: principal, afterID: afterID)
        let store = self.store
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await Self.pollAudit(store: store, filter: filter, after: start, every: pollInterval) { continuation.yield($0) }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: LicenseError(mapping: error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func auditFollowStart(as principal: Principal, afterID: Int64?) async throws(LicenseError) -> Int64 {
        try await run("audit-follow") {
            try await authorizer.require(.systemAudit, for: principal)
            if let afterID { return afterID }
            let newest = try await store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 1))
            return newest.items.first?.id ?? 0
        }
    }

    /// Polls for events with an id above `after`, yielding them oldest first, until cancelled.
    private static func pollAudit(
        store: any AuditStore, filter: AuditFilter, after start: Int64, every interval: Duration,
        yield: (AuditEvent) -> Void
    ) async throws {
        var last = start
        while !Task.isCancelled {
            var fresh: [AuditEvent] = []
            var cursor: String?
            var done = false
            while !done {
                let page = try await store.auditEvents(matching: filter, page: PageRequest(limit: 500, cursor: cursor))
                let newer = page.items.filter { $0.id > last }
                fresh += newer
                cursor = page.nextCursor
                done = cursor == nil || newer.count < page.items.count
            }
            for event in fresh.sorted(by: { $0.id < $1.id }) { yield(event) }
            last = max(last, fresh.map(\.id).max() ?? last)
            try await Task.sleep(for: interval)
        }
    }
}
