import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

extension LicenseCommand {
    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A license's validation history, newest first (owner or admin).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The license id.") var id: String
        @Option(help: "Rows per page, 1–1000.") var limit: Int = 100
        @Option(help: "The next_cursor of the previous page.") var cursor: String?

        struct Result: Encodable {
            var items: [UsageView]
            @Null var nextCursor: String?
        }

        func validate() throws {
            _ = try Parse.uuid(id)
            guard ServiceLimits.pageSize.contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let page = try await deployment.licenses.usageHistory(as: principal, licenseID: try Parse.uuid(id), limit: limit, cursor: cursor)
                let result = Result(items: page.items.map(UsageView.init), nextCursor: page.nextCursor)
                if global.json { return try JSONOutput.print(result) }
                if result.items.isEmpty { Console.out("no validations recorded") }
                for item in result.items { Console.out(item.line) }
                if let next = page.nextCursor { Console.out("more: --cursor \(next)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List licenses, newest first (admins see all; others only their own).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only licenses owned by this agent.") var owner: String?
        @Option(help: "Only licenses of this tier.", completion: .list(Parse.tierNames)) var tier: String?
        @Option(help: "active, expired or revoked.", completion: .list(["active", "expired", "revoked"])) var status: String?
        @Option(help: "Rows per page, 1–1000.") var limit: Int = 100
        @Option(help: "The next_cursor of the previous page.") var cursor: String?

        struct Result: Encodable {
            var items: [LicenseView]
            @Null var nextCursor: String?
        }

        func validate() throws {
            if let tier { _ = try Parse.tier(tier) }
            if let status { _ = try Parse.status(status) }
            guard ServiceLimits.pageSize.contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                var filter = LicenseFilter(tier: try tier.map(Parse.tier)?.rawValue, status: try status.map(Parse.status))
                if let owner {
                    guard let agent = try await deployment.store.agent(named: owner) else {
                        throw Failure("no agent named '\(owner.prefix(64))' for --owner; list agents with `tmwsctl agent list`")
                    }
                    filter.ownerID = agent.id
                }
                let page = try await deployment.licenses.listLicenses(as: principal, filter: filter, limit: limit, cursor: cursor)
                let now = Date()
                let result = Result(items: page.items.map { LicenseView($0, status: $0.status(at: now)) }, nextCursor: page.nextCursor)
                if global.json { return try JSONOutput.print(result) }
                if result.items.isEmpty { Console.out("no licenses") }
                for item in result.items { Console.out(item.line) }
                if let next = page.nextCursor { Console.out("more: --cursor \(next)") }
            }
        }
    }
}
