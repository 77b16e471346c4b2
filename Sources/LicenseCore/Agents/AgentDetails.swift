import TMWSStorage

/// An agent with its API keys (never the keys themselves: only prefixes and dates).
public struct AgentDetails: Sendable, Hashable {
    public let agent: Agent
    public let apiKeys: [AgentAPIKey]
}
