import Foundation
import TMWSRBAC
import TMWSStorage

extension AuditService {
    /// Follows the audit log (`system:audit`: admin): checks the permission (audited), then yields
    /// every new event matching `filter`, oldest first, polling the store. After every poll's read,
    /// before its events are yielded, the caller's agent is read again and the policy applied: when
    /// the agent was demoted, suspended or removed, the DENY is audited and the stream ends with
    /// `permissionDenied`; nothing appended after the demotion is yielded. A re-check that still allows writes no audit row (a row per poll would feed
    /// the stream its own rows), so following never feeds itself.
    /// - Parameters:
    ///   - principal: the caller, an admin.
    ///   - filter: which events to yield.
    ///   - afterID: yield only events with a larger id (`nil`: only events appended from now on).
    ///   - pollInterval: how often to look for new events.
    /// - Throws: `permissionDenied`, `unavailable` (before the stream starts); the stream throws a
    ///   ``LicenseError``: `permissionDenied` when a re-check denies, `unavailable` when storage fails.
    public func follow(
        as principal: Principal, filter: AuditFilter = AuditFilter(), afterID: Int64? = nil, pollInterval: Duration = .seconds(1)
    ) async throws(LicenseError) -> AsyncThrowingStream<AuditEvent, any Error> {
        let start = try await auditFollowStart(as: principal, afterID: afterID)
        let store = self.store
        let authorizer = self.authorizer
        let stillAllowed: @Sendable () async throws -> Void = {
            let agent = try await store.agent(id: principal.agentID)
            let subject = agent.map { Subject(id: $0.id, role: $0.role, namespace: $0.namespace, status: $0.status.rawValue) }
            guard !Policy.decide(subject: subject, permission: .systemAudit, resource: nil).isAllowed else { return }
            // Denied now: the audited check writes the DENY row and throws (and lets the stream go
            // on if the agent was given its role back in between).
            try await authorizer.require(.systemAudit, for: principal)
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await Self.pollAudit(store: store, filter: filter, after: start, every: pollInterval, check: stillAllowed) {
                        continuation.yield($0)
                    }
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

    /// Polls for events with an id above `after`, yielding them oldest first, until cancelled;
    /// `check` runs after every read, before its events are yielded, and ends the stream by throwing.
    private static func pollAudit(
        store: any AuditStore, filter: AuditFilter, after start: Int64, every interval: Duration,
        check: @Sendable () async throws -> Void, yield: (AuditEvent) -> Void
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
            // After the read, before yielding: a row the read saw was appended after any demotion
            // it followed, and this check sees that demotion.
            try await check()
            for event in fresh.sorted(by: { $0.id < $1.id }) { yield(event) }
            last = max(last, fresh.map(\.id).max() ?? last)
            try await Task.sleep(for: interval)
        }
    }
}
