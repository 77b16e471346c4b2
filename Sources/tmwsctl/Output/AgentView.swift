import Foundation
import TMWSStorage

/// An agent as `--json` prints it: the fields of MCP `whoami` (`agent_id` is the agent's UUID,
/// `name` its unique name), plus the administrative ones.
struct AgentView: Encodable {
    var agentId: String
    var name: String
    @Null var displayName: String?
    var namespace: String
    var status: String
    var tier: String
    var role: String
    var createdAt: Date
    var updatedAt: Date
    var apiKeys: [APIKeyView]?

    init(_ agent: Agent, keys: [AgentAPIKey]? = nil) {
        agentId = agent.id.canonicalText
        name = agent.name
        displayName = agent.displayName
        namespace = agent.namespace
        status = agent.status.rawValue
        tier = agent.tier
        role = agent.role
        createdAt = agent.createdAt
        updatedAt = agent.updatedAt
        apiKeys = keys.map { $0.map(APIKeyView.init) }
    }

    /// One line of `agent list`.
    var line: String {
        [name, role, tier, status, namespace, displayName ?? ""].map(TerminalText.field).joined(separator: "\t")
    }
}

/// An API key's listing: never the key, only its prefix and dates.
struct APIKeyView: Encodable {
    var id: String
    var prefix: String
    var createdAt: Date
    var lastUsedAt: Date?
    var revokedAt: Date?

    init(_ key: AgentAPIKey) {
        id = key.id.canonicalText
        prefix = key.prefix
        createdAt = key.createdAt
        lastUsedAt = key.lastUsedAt
        revokedAt = key.revokedAt
    }

    var line: String {
        let state = revokedAt.map { "revoked \(JSONOutput.iso8601($0))" } ?? "active"
        return "\(prefix)…\t\(id)\tcreated \(JSONOutput.iso8601(createdAt))\tlast used \(lastUsedAt.map(JSONOutput.iso8601) ?? "never")\t\(state)"
    }
}
