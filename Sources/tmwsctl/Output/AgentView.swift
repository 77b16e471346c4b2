import Foundation
import TMWSStorage

/// An agent as `--json` prints it.
struct AgentView: Encodable {
    var id: String
    var agentId: String
    var displayName: String?
    var namespace: String
    var status: String
    var tier: String
    var role: String
    var createdAt: Date
    var updatedAt: Date
    var apiKeys: [APIKeyView]?

    init(_ agent: Agent, keys: [AgentAPIKey]? = nil) {
        id = agent.id.canonicalText
        agentId = agent.name
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
        [agentId, role, tier, status, namespace, displayName ?? ""].map(TerminalText.field).joined(separator: "\t")
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
