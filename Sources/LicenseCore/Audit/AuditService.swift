import Foundation
import Logging
import TMWSRBAC
import TMWSStorage

/// The audit log and what is computed from it: query it, follow it, and compute the deployment
/// guide's monitoring report — all for admins (`system:audit`).
///
/// Reading the audit log is itself audited (one permission-check row per call, not per event or
/// per poll). Every failure is a ``LicenseError``.
///
/// ```swift
/// let audit = AuditService(context: ServiceContext(store: store))
/// let denials = try await audit.events(as: admin, filter: AuditFilter(eventType: .permissionCheck, result: "DENY"))
/// let report = try await audit.monitoringReport(as: admin)
/// if report.alerting { … }
/// ```
public struct AuditService: ContextService {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    /// Audit events matching a filter, newest first (`system:audit`: admin).
    /// - Throws: `invalidArgument` (limit 1…1000, cursor), `permissionDenied`, `unavailable`.
    public func events(
        as principal: Principal, filter: AuditFilter = AuditFilter(), limit: Int = 100, cursor: String? = nil
    ) async throws(LicenseError) -> Page<AuditEvent> {
        try await run("audit") {
            try await authorizer.require(.systemAudit, for: principal)
            try ServiceContext.checkPageSize(limit)
            return try await store.auditEvents(matching: filter, page: PageRequest(limit: limit, cursor: cursor))
        }
    }

    /// The monitoring report (`system:audit`: admin): permission checks and validations over
    /// `window` ending now, licenses generated over the last 24 hours, and the schema revision
    /// (read from the store when it is `SchemaMigrating`; other stores are always at head).
    /// - Throws: `invalidArgument` for a non-positive window, `permissionDenied`, `unavailable`.
    public func monitoringReport(
        as principal: Principal, window: TimeInterval = 3600, thresholds: MonitoringReport.Thresholds = .init()
    ) async throws(LicenseError) -> MonitoringReport {
        try await run("stats") {
            guard window > 0 else { throw LicenseError(.invalidArgument, "the window must be positive") }
            try await authorizer.require(.systemAudit, for: principal)
            let now = clock()
            let since = now.addingTimeInterval(-window)
            let checks = try await store.countAuditEvents(matching: AuditFilter(eventType: .permissionCheck, since: since))
            let denials = try await store.countAuditEvents(
                matching: AuditFilter(eventType: .permissionCheck, since: since, result: "DENY"))
            let licenses = try await store.countLicenses(createdSince: now.addingTimeInterval(-86_400), until: nil)
            let usage = try await store.usageCounts(since: since, until: nil)
            let revision: String? =
                if let migrating = store as? any SchemaMigrating { try await migrating.currentRevision() } else { SchemaRevision.head }
            return MonitoringReport.evaluate(
                permissionChecks: checks, permissionDenials: denials, licensesLastDay: licenses, validations: usage,
                revision: revision, window: window, generatedAt: now, thresholds: thresholds)
        }
    }
}
