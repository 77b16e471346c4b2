import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// `tmwsctl audit`: the security audit log (admin), instead of SELECTs on `security_audit_logs`.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read, query and export the audit log (needs an admin --as agent).",
        subcommands: [Tail.self, Query.self, Export.self])

    /// Every event matching a filter, newest first, following pages up to `limit` events.
    static func events(
        _ deployment: Deployment, _ principal: Principal, filter: AuditFilter, limit: Int
    ) async throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        var cursor: String?
        repeat {
            let page = try await deployment.audit.events(
                as: principal, filter: filter, limit: min(1000, max(1, limit - events.count)), cursor: cursor)
            events += page.items
            cursor = page.nextCursor
        } while cursor != nil && events.count < limit
        return events
    }

    /// Agent names by UUID, to show names instead of ids.
    static func names(_ deployment: Deployment) async throws -> [UUID: String] {
        Dictionary(try await deployment.store.allAgents().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    /// Resolves `--agent NAME` to its UUID.
    static func agentID(_ name: String?, in deployment: Deployment) async throws -> UUID? {
        guard let name else { return nil }
        guard let agent = try await deployment.store.agent(named: name) else {
            throw Failure("no agent named '\(name.prefix(64))' for --agent; list agents with `tmwsctl agent list`")
        }
        return agent.id
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest events, oldest first; --follow keeps printing new ones.")
        @OptionGroup var global: GlobalOptions
        @Option(name: [.customShort("n", allowingJoined: true), .long], help: "How many events (-n 20, -n20 or --n 20).") var n: Int = 20
        @Flag(help: "Only denied permission checks.") var denyOnly = false
        @Flag(
            name: .shortAndLong,
            help: "Keep printing new events until interrupted (JSON Lines with --json); stops when the --as agent is no longer an admin.")
        var follow = false

        func validate() throws {
            guard (1...10_000).contains(n) else { throw ValidationError("-n must be between 1 and 10000") }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let filter = denyOnly ? AuditFilter(eventType: .permissionCheck, result: "DENY") : AuditFilter()
                let events = try await Audit.events(deployment, principal, filter: filter, limit: n)
                var names = try await Audit.names(deployment)
                let views = events.reversed().map { AuditView($0, agentName: $0.userID.flatMap { names[$0] }) }
                if global.json, !follow { return try JSONOutput.print(views) }
                for view in views { global.json ? Console.json(try JSONOutput.line(view)) : Console.out(view.line) }
                guard follow else { return }
                let stream = try await deployment.audit.follow(as: principal, filter: filter, afterID: events.first?.id)
                for try await event in stream {
                    if let id = event.userID, names[id] == nil { names = try await Audit.names(deployment) }
                    let view = AuditView(event, agentName: event.userID.flatMap { names[$0] })
                    global.json ? Console.json(try JSONOutput.line(view)) : Console.out(view.line)
                }
            }
        }
    }

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Events matching filters, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "A duration ago (1h, 7d) or an ISO 8601 time.") var since: String?
        @Option(help: "permission_check, license_generated, license_revoked, role_changed, …") var eventType: String?
        @Option(help: "Only events about this agent.") var agent: String?
        @Option(help: "ALLOW or DENY.", completion: .list(["ALLOW", "DENY"])) var result: String?
        @Option(help: "At most this many events.") var limit: Int = 100

        func validate() throws {
            if let since { _ = try Parse.since(since) }
            if let result { _ = try Parse.auditResult(result) }
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let filter = AuditFilter(
                    eventType: eventType.map(AuditEventType.init(rawValue:)), userID: try await Audit.agentID(agent, in: deployment),
                    since: try since.map { try Parse.since($0) }, result: try result.map(Parse.auditResult))
                let events = try await Audit.events(deployment, principal, filter: filter, limit: limit)
                let names = try await Audit.names(deployment)
                let views = events.map { AuditView($0, agentName: $0.userID.flatMap { names[$0] }) }
                if global.json { return try JSONOutput.print(views) }
                if views.isEmpty { Console.out("no matching events") }
                for view in views { Console.out(view.line) }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

        static let configuration = CommandConfiguration(abstract: "Export events, oldest first, as JSON Lines or CSV on standard output.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "jsonl or csv.") var format: Format
        @Option(help: "A duration ago (1h, 7d) or an ISO 8601 time.") var since: String?
        @Option(help: "Only events of this type.") var eventType: String?

        func validate() throws {
            if let since { _ = try Parse.since(since) }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let filter = AuditFilter(eventType: eventType.map(AuditEventType.init(rawValue:)), since: try since.map { try Parse.since($0) })
                let events = try await Audit.events(deployment, principal, filter: filter, limit: .max)
                let names = try await Audit.names(deployment)
                if format == .csv { Console.out(AuditView.csvHeader) }
                for event in events.reversed() {
                    let view = AuditView(event, agentName: event.userID.flatMap { names[$0] })
                    format == .csv ? Console.out(view.csvLine) : Console.json(try JSONOutput.line(view))
                }
            }
        }
    }
}
