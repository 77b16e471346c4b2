import Foundation
import TMWSRBAC
import TMWSStorage

/// An agent with its API keys (never the keys themselves: only prefixes and dates).
public struct AgentDetails: Sendable, Hashable {
    public let agent: Agent
    public let apiKeys: [AgentAPIKey]
}

extension LicenseService {
    /// Creates an agent (`license:admin`: admin). Audited as `agent_created`.
    /// - Parameters:
    ///   - name: unique, 1–128 characters, no whitespace or control characters.
    ///   - namespace: 1–128 characters, no whitespace or control characters.
    ///   - role: default `viewer`, as the spec requires.
    /// - Throws: `invalidArgument` (bad name or namespace, or the name is taken), `permissionDenied`, `unavailable`.
    public func createAgent(
        as principal: Principal, named name: String, namespace: String, role: Role = .viewer,
        tier: LicenseTier = .free, displayName: String? = nil
    ) async throws(LicenseError) -> Agent {
        try await run("create-agent") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            try Self.checkIdentifier(name, what: "agent name")
            try Self.checkIdentifier(namespace, what: "namespace")
            if let displayName, displayName.utf8.count > 256 {
                throw LicenseError(.invalidArgument, "the display name is longer than 256 bytes")
            }
            if try await store.agent(named: name) != nil {
                throw LicenseError(.invalidArgument, "an agent named '\(name)' already exists")
            }
            let agent = try await store.createAgent(
                NewAgent(
                    id: UUID.random(using: random), name: name, displayName: displayName, namespace: namespace,
                    tier: tier.rawValue, role: role.rawValue))
            _ = try await store.appendAuditEvent(
                NewAuditEvent(
                    eventType: "agent_created", userID: admin.id,
                    details: [
                        "agent": agent.name, "agent_id": agent.id.canonicalText, "namespace": namespace,
                        "role": role.rawValue, "tier": tier.rawValue,
                    ]))
            return agent
        }
    }

    /// Agents matching a filter, ordered by name (`license:admin`: admin).
    /// - Throws: `invalidArgument` (limit 1…1000, cursor), `permissionDenied`, `unavailable`.
    public func listAgents(
        as principal: Principal, filter: AgentFilter = AgentFilter(), limit: Int = 100, cursor: String? = nil
    ) async throws(LicenseError) -> Page<Agent> {
        try await run("list-agents") {
            guard Limits.pageSize.contains(limit) else { throw LicenseError(.invalidArgument, "limit must be between 1 and 1000") }
            try await authorizer.require(.licenseAdmin, for: principal)
            return try await store.agents(matching: filter, page: PageRequest(limit: limit, cursor: cursor))
        }
    }

    /// An agent and its API keys' prefixes (`license:admin`: admin).
    /// - Throws: `notFound`, `permissionDenied`, `unavailable`.
    public func agentDetails(as principal: Principal, named name: String) async throws(LicenseError) -> AgentDetails {
        try await run("show-agent") {
            try await authorizer.require(.licenseAdmin, for: principal)
            let agent = try await existingAgent(named: name)
            return AgentDetails(agent: agent, apiKeys: try await store.apiKeys(agentID: agent.id))
        }
    }

    /// Issues a new API key for an agent (`license:admin`: admin). Audited as `api_key_created`
    /// with the key's display prefix. The returned key is the only copy: show it once.
    /// - Throws: `notFound`, `permissionDenied`, `unavailable`.
    public func issueAPIKey(as principal: Principal, agentNamed name: String) async throws(LicenseError) -> APIKeyAuthenticator.IssuedKey {
        try await run("issue-api-key") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            let agent = try await existingAgent(named: name)
            let issued = try await APIKeyAuthenticator(store: store, random: random).issueKey(for: agent.id)
            _ = try await store.appendAuditEvent(
                NewAuditEvent(
                    eventType: "api_key_created", userID: admin.id,
                    details: ["agent": agent.name, "agent_id": agent.id.canonicalText, "prefix": issued.record.prefix]))
            return issued
        }
    }

    /// An agent's API keys, revoked ones included (`license:admin`: admin).
    /// - Throws: `notFound`, `permissionDenied`, `unavailable`.
    public func apiKeys(as principal: Principal, agentNamed name: String) async throws(LicenseError) -> [AgentAPIKey] {
        try await agentDetails(as: principal, named: name).apiKeys
    }

    /// Revokes one of an agent's API keys by its display prefix or id (`license:admin`: admin).
    /// Idempotent. Audited as `api_key_revoked`.
    /// - Throws: `notFound` (no agent, or no key with that prefix), `invalidArgument` (the prefix
    ///   matches several keys), `permissionDenied`, `unavailable`.
    public func revokeAPIKey(as principal: Principal, agentNamed name: String, prefix: String) async throws(LicenseError) -> AgentAPIKey {
        try await run("revoke-api-key") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            let agent = try await existingAgent(named: name)
            let key = try await APIKeyAuthenticator(store: store).revokeKey(agentID: agent.id, prefix: prefix)
            _ = try await store.appendAuditEvent(
                NewAuditEvent(
                    eventType: "api_key_revoked", severity: .warning, userID: admin.id,
                    details: ["agent": agent.name, "agent_id": agent.id.canonicalText, "prefix": key.prefix]))
            return key
        }
    }

    func existingAgent(named name: String) async throws -> Agent {
        guard let agent = try await store.agent(named: name) else {
            throw LicenseError(.notFound, "no agent named '\(name.prefix(64))'")
        }
        return agent
    }

    static func checkIdentifier(_ value: String, what: String) throws {
        guard !value.isEmpty, value.count <= 128,
            value.unicodeScalars.allSatisfy({ !CharacterSet.whitespacesAndNewlines.contains($0) && !CharacterSet.controlCharacters.contains($0) })
        else {
            throw LicenseError(.invalidArgument, "the \(what) must be 1–128 characters without spaces or control characters")
        }
    }
}
