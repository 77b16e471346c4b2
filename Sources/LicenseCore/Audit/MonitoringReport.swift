import Foundation
import TMWSStorage

/// The deployment guide's four monitoring metrics and their alerts, as a pure computation.
///
/// 1. permission-check DENY rate over the window — alert above 20%;
/// 2. licenses generated in the last day — alert above 1000;
/// 3. license validation failure rate over the window — alert above 5%;
/// 4. the schema revision — alert when it is not head.
public struct MonitoringReport: Sendable, Hashable {
    /// Alert thresholds (the spec's defaults).
    public struct Thresholds: Sendable, Hashable {
        public var denyRate: Double
        public var licensesPerDay: Int
        public var validationFailureRate: Double

        public init(denyRate: Double = 0.20, licensesPerDay: Int = 1000, validationFailureRate: Double = 0.05) {
            self.denyRate = denyRate
            self.licensesPerDay = licensesPerDay
            self.validationFailureRate = validationFailureRate
        }
    }

    /// One metric: its value, its threshold and whether it alerts.
    public struct Metric: Sendable, Hashable {
        /// A stable name: `permission_deny_rate`, `licenses_generated_24h`, `validation_failure_rate`, `migration_version`.
        public let name: String
        /// The value as a number (a rate 0…1, a count; for the version 1 when at head, else 0).
        public let value: Double
        /// The number of events the value is computed from, where it is a rate.
        public let total: Int?
        /// The numerator of a rate, or the count.
        public let count: Int?
        /// A human-readable threshold, e.g. `> 20%`.
        public let threshold: String
        public let alert: Bool
        /// Text form of the value, e.g. `3.2% (4 of 125)`.
        public let summary: String
    }

    /// The window the rates are computed over.
    public let window: TimeInterval
    /// When the report was computed.
    public let generatedAt: Date
    /// The migration revision found (`nil` for an empty database).
    public let revision: String?
    /// The four metrics, in the spec's order.
    public let metrics: [Metric]

    /// Whether any metric alerts.
    public var alerting: Bool { metrics.contains { $0.alert } }

    /// Computes the report from counts.
    public static func evaluate(
        permissionChecks: Int, permissionDenials: Int, licensesLastDay: Int, validations: UsageCounts,
        revision: String?, window: TimeInterval, generatedAt: Date, thresholds: Thresholds = Thresholds()
    ) -> MonitoringReport {
        let denyRate = rate(permissionDenials, of: permissionChecks)
        let failureRate = rate(validations.failed, of: validations.total)
        let atHead = revision == SchemaRevision.head
        let metrics = [
            Metric(
                name: "permission_deny_rate", value: denyRate, total: permissionChecks, count: permissionDenials,
                threshold: "> \(percent(thresholds.denyRate))", alert: denyRate > thresholds.denyRate,
                summary: "\(percent(denyRate)) (\(permissionDenials) of \(permissionChecks) check\(permissionChecks == 1 ? "" : "s"))"),
            Metric(
                name: "licenses_generated_24h", value: Double(licensesLastDay), total: nil, count: licensesLastDay,
                threshold: "> \(thresholds.licensesPerDay)/day", alert: licensesLastDay > thresholds.licensesPerDay,
                summary: "\(licensesLastDay) in the last 24h"),
            Metric(
                name: "validation_failure_rate", value: failureRate, total: validations.total, count: validations.failed,
                threshold: "> \(percent(thresholds.validationFailureRate))", alert: failureRate > thresholds.validationFailureRate,
                summary: "\(percent(failureRate)) (\(validations.failed) of \(validations.total) validation\(validations.total == 1 ? "" : "s"))"),
            Metric(
                name: "migration_version", value: atHead ? 1 : 0, total: nil, count: nil,
                threshold: "!= \(SchemaRevision.head)", alert: !atHead,
                summary: atHead ? "\(SchemaRevision.head) (head)" : "\(revision ?? "none") (head is \(SchemaRevision.head))"),
        ]
        return MonitoringReport(window: window, generatedAt: generatedAt, revision: revision, metrics: metrics)
    }

    /// The report for a database that is not at head: only the migration metric (alerting), since
    /// the other metrics' tables may not exist at an older revision.
    public static func unmigrated(revision: String?, window: TimeInterval, generatedAt: Date) -> MonitoringReport {
        let full = evaluate(
            permissionChecks: 0, permissionDenials: 0, licensesLastDay: 0, validations: UsageCounts(total: 0, failed: 0),
            revision: revision, window: window, generatedAt: generatedAt)
        return MonitoringReport(
            window: window, generatedAt: generatedAt, revision: revision, metrics: full.metrics.filter { $0.name == "migration_version" })
    }

    static func rate(_ count: Int, of total: Int) -> Double { total == 0 ? 0 : Double(count) / Double(total) }

    static func percent(_ value: Double) -> String {
        let tenths = (value * 1000).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths))%" : "\(tenths)%"
    }
}
