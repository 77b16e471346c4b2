import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSStorage

/// `tmwsctl stats`: the deployment guide's four monitoring metrics with their alert thresholds.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Monitoring metrics: DENY rate, licenses per day, validation failure rate, migration version.",
        discussion: "Exits 1 when any metric alerts, so it can run from cron or a monitoring agent.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The window of the rates (e.g. 15m, 1h, 1d).") var window: String = "1h"

    struct MetricView: Encodable {
        var name: String
        var value: Double
        var count: Int?
        var total: Int?
        var threshold: String
        var alert: Bool
        var summary: String
        /// For `migration_version` (whose value is 1 at head, else 0): the revision found and the head.
        var revision: String?
        var head: String?
    }

    struct Result: Encodable {
        var generatedAt: Date
        var windowSeconds: Double
        var revision: String?
        var alert: Bool
        var metrics: [String: MetricView]
    }

    func validate() throws { _ = try Parse.duration(window) }

    func run() async throws {
        let seconds = try Parse.duration(window)
        let report: MonitoringReport
        let revision = try await global.withMigratingStore { try await $0.currentRevision() }
        if revision != SchemaRevision.head {
            report = .unmigrated(revision: revision, window: seconds, generatedAt: Date())
        } else {
            report = try await global.withSession { deployment, principal in
                try await deployment.audit.monitoringReport(as: principal, window: seconds)
            }
        }
        if global.json {
            let metrics = report.metrics.map {
                let isRevision = $0.name == "migration_version"
                return MetricView(
                    name: $0.name, value: $0.value, count: $0.count, total: $0.total, threshold: $0.threshold, alert: $0.alert,
                    summary: $0.summary, revision: isRevision ? report.revision ?? "none" : nil, head: isRevision ? SchemaRevision.head : nil)
            }
            try JSONOutput.print(
                Result(
                    generatedAt: report.generatedAt, windowSeconds: report.window, revision: report.revision, alert: report.alerting,
                    metrics: Dictionary(uniqueKeysWithValues: metrics.map { ($0.name, $0) })))
        } else {
            for metric in report.metrics {
                Console.out("[\(metric.alert ? "ALERT" : "OK")] \(metric.name): \(metric.summary) (alert if \(metric.threshold))")
            }
        }
        if report.alerting { throw ExitCode(Failure.checkFailed) }
    }
}
