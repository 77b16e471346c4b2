import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// `tmwsctl agent`: agents, their roles, tiers, status and API keys (instead of SQL UPDATEs).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Create and manage agents (needs an admin --as agent; role and tier changes are audited).",
        subcommands: [Create.self, List.self, Show.self, SetRole.self, SetTier.self, Suspend.self, Resume.self, AgentKey.self])

    /// Prints an agent as JSON or one line of text.
    static func show(_ agent: Agent, json: Bool, message: String) throws {
        if json { return try JSONOutput.print(AgentView(agent)) }
        Console.out(message)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an agent (role default: viewer).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's unique name: A–Z, a–z, 0–9, '.', '_', '-' and '@', starting with a letter or digit.")
        var name: String
        @Option(help: "The agent's namespace (the same characters as the name).") var namespace: String
        @Option(help: ArgumentHelp("viewer, editor or admin.", valueName: "role"), completion: .list(Parse.roleNames))
        var role: String = Role.viewer.rawValue
        @Option(help: ArgumentHelp("FREE, PRO or ENTERPRISE.", valueName: "tier"), completion: .list(Parse.tierNames))
        var tier: String = LicenseTier.free.rawValue
        @Option(help: "A human-readable name.") var displayName: String?

        func validate() throws {
            _ = try Parse.role(role)
            _ = try Parse.tier(tier)
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let agent = try await deployment.agents.createAgent(
                    as: principal, named: name, namespace: namespace, role: try Parse.role(role), tier: try Parse.tier(tier),
                    displayName: displayName)
                try AgentCommand.show(
                    agent, json: global.json, message: "created agent '\(agent.name)' (\(agent.role), \(agent.tier), namespace \(agent.namespace))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents: name, role, tier, status, namespace, display name.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only agents with this role.", completion: .list(Parse.roleNames)) var role: String?
        @Option(help: "Only agents in this namespace.") var namespace: String?
        @Option(help: "Only agents with this status (active, suspended).", completion: .list(["active", "suspended"]))
        var status: String?

        func validate() throws {
            if let role { _ = try Parse.role(role) }
            if let status { _ = try Parse.agentStatus(status) }
        }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let filter = AgentFilter(role: try role.map(Parse.role)?.rawValue, namespace: namespace, status: try status.map(Parse.agentStatus))
                var agents: [Agent] = []
                var cursor: String?
                repeat {
                    let page = try await deployment.agents.listAgents(as: principal, filter: filter, limit: 1000, cursor: cursor)
                    agents += page.items
                    cursor = page.nextCursor
                } while cursor != nil
                if global.json { return try JSONOutput.print(agents.map { AgentView($0) }) }
                Console.out("NAME\tROLE\tTIER\tSTATUS\tNAMESPACE\tDISPLAY NAME")
                for agent in agents { Console.out(AgentView(agent).line) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an agent and its API keys (prefixes only).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let details = try await deployment.agents.agentDetails(as: principal, named: name)
                let view = AgentView(details.agent, keys: details.apiKeys)
                if global.json { return try JSONOutput.print(view) }
                Console.out("name:         \(view.name)")
                Console.out("agent_id:     \(view.agentId)")
                Console.out("display_name: \(view.displayName ?? "-")")
                Console.out("namespace:    \(view.namespace)")
                Console.out("role:         \(view.role)")
                Console.out("tier:         \(view.tier)")
                Console.out("status:       \(view.status)")
                Console.out("created_at:   \(JSONOutput.iso8601(view.createdAt))")
                Console.out("api_keys:     \(details.apiKeys.count)")
                for key in view.apiKeys ?? [] { Console.out("  \(key.line)") }
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an agent's role (audited as role_changed).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String
        @Argument(help: ArgumentHelp("viewer, editor or admin.", valueName: "role"), completion: .list(Parse.roleNames))
        var role: String

        func validate() throws { _ = try Parse.role(role) }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let agent = try await deployment.agents.setAgentRole(as: principal, agentNamed: name, to: try Parse.role(role))
                try AgentCommand.show(agent, json: global.json, message: "agent '\(agent.name)' now has role \(agent.role)")
            }
        }
    }

    struct SetTier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an agent's tier (audited as tier_changed).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String
        @Argument(help: ArgumentHelp("FREE, PRO or ENTERPRISE.", valueName: "tier"), completion: .list(Parse.tierNames))
        var tier: String

        func validate() throws { _ = try Parse.tier(tier) }

        func run() async throws {
            try await global.withSession { deployment, principal in
                let agent = try await deployment.agents.setAgentTier(as: principal, agentNamed: name, to: try Parse.tier(tier))
                try AgentCommand.show(agent, json: global.json, message: "agent '\(agent.name)' now has tier \(agent.tier)")
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend an agent: its checks are denied and its API keys stop working.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let agent = try await deployment.agents.setAgentStatus(as: principal, agentNamed: name, to: .suspended)
                try AgentCommand.show(agent, json: global.json, message: "agent '\(agent.name)' suspended")
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a suspended agent.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The agent's name.") var name: String

        func run() async throws {
            try await global.withSession { deployment, principal in
                let agent = try await deployment.agents.setAgentStatus(as: principal, agentNamed: name, to: .active)
                try AgentCommand.show(agent, json: global.json, message: "agent '\(agent.name)' is active")
            }
        }
    }
}
