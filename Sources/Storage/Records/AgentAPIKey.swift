import Foundation

/// A stored agent API key. Only the SHA-256 hash of the key and a short display prefix are kept;
/// the key itself is shown once, when it is created, and never stored.
public struct AgentAPIKey: Sendable, Hashable, Codable {
    /// The key's own id.
    public var id: UUID
    /// The agent the key authenticates.
    public var agentID: UUID
    /// The lowercase hex SHA-256 of the whole key string.
    public var keyHash: String
    /// A short, non-secret prefix of the key, to tell keys apart in listings (e.g. `tmws_ak_3fA9c1`).
    public var prefix: String
    /// When the key was created.
    public var createdAt: Date
    /// When the key last authenticated a call, coarsely (see the authenticator's throttling).
    public var lastUsedAt: Date?
    /// When the key was revoked; a revoked key never authenticates again.
    public var revokedAt: Date?

    public init(
        id: UUID, agentID: UUID, keyHash: String, prefix: String, createdAt: Date,
        lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.agentID = agentID
        self.keyHash = keyHash
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// An active API key resolved to the agent it belongs to, whatever that agent's status.
public struct ResolvedAPIKey: Sendable, Hashable {
    public var key: AgentAPIKey
    public var agent: Agent

    public init(key: AgentAPIKey, agent: Agent) {
        self.key = key
        self.agent = agent
    }
}
