import Foundation

/// An agent: a caller of the license tools (a person, a service, an assistant).
///
/// The role is kept as the text stored in the database. Storage does not interpret it: an unknown
/// role string read from a database round-trips unchanged, and RBAC decides what it means.
public struct Agent: Sendable, Hashable, Codable {
    /// The agent's UUID (`agents.id`).
    public var id: UUID
    /// The agent's unique name (`agents.agent_id`), e.g. `admin` or `billing-bot`.
    public var name: String
    /// An optional human-readable name.
    public var displayName: String?
    /// The namespace the agent belongs to; licenses it issues live there.
    public var namespace: String
    /// Whether the agent may act (`active`) or is suspended.
    public var status: AgentStatus
    /// The agent's license tier, as stored (`FREE`, `PRO`, `ENTERPRISE`).
    public var tier: String
    /// The agent's role, as stored (`viewer`, `editor`, `admin`, or anything else a database holds).
    public var role: String
    /// When the agent was created.
    public var createdAt: Date
    /// When the agent was last changed.
    public var updatedAt: Date

    /// Creates an agent value.
    public init(
        id: UUID, name: String, displayName: String? = nil, namespace: String,
        status: AgentStatus = .active, tier: String = "FREE", role: String = "viewer",
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.namespace = namespace
        self.status = status
        self.tier = tier
        self.role = role
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An agent's status. Unknown values read from a database are kept as they are.
public struct AgentStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The agent may act.
    public static let active = AgentStatus(rawValue: "active")
    /// The agent is suspended: every permission check denies it and its API keys do not authenticate.
    public static let suspended = AgentStatus(rawValue: "suspended")

    public var description: String { rawValue }
}

/// The values needed to create an agent; the store assigns the timestamps.
public struct NewAgent: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var displayName: String?
    public var namespace: String
    public var status: AgentStatus
    public var tier: String
    public var role: String

    /// Describes an agent to create. The role defaults to `viewer`, as the spec requires.
    public init(
        id: UUID = UUID(), name: String, displayName: String? = nil, namespace: String,
        status: AgentStatus = .active, tier: String = "FREE", role: String = "viewer"
    ) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.namespace = namespace
        self.status = status
        self.tier = tier
        self.role = role
    }
}

/// A change to an agent's mutable attributes; `nil` fields stay as they are.
public struct AgentChange: Sendable, Hashable {
    public var role: String?
    public var tier: String?
    public var status: AgentStatus?
    public var displayName: String?

    public init(role: String? = nil, tier: String? = nil, status: AgentStatus? = nil, displayName: String? = nil) {
        self.role = role
        self.tier = tier
        self.status = status
        self.displayName = displayName
    }

    /// Applies the change to an agent value.
    public func applied(to agent: Agent, at now: Date) -> Agent {
        var result = agent
        if let role { result.role = role }
        if let tier { result.tier = tier }
        if let status { result.status = status }
        if let displayName { result.displayName = displayName }
        result.updatedAt = now
        return result
    }
}

/// Filters for listing agents; `nil` matches everything.
public struct AgentFilter: Sendable, Hashable {
    public var role: String?
    public var namespace: String?
    public var status: AgentStatus?

    public init(role: String? = nil, namespace: String? = nil, status: AgentStatus? = nil) {
        self.role = role
        self.namespace = namespace
        self.status = status
    }

    /// Whether an agent passes the filter.
    public func matches(_ agent: Agent) -> Bool {
        (role == nil || agent.role == role) && (namespace == nil || agent.namespace == namespace)
            && (status == nil || agent.status == status)
    }
}
