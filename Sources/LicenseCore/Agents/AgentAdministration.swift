import Foundation
import Logging
import TMWSRBAC
import TMWSStorage

/// Agent and API-key administration: create and list agents, change their role, tier and status,
/// issue and revoke their API keys — and ``whoami(as:)``, the caller's own record.
///
/// Every operation but ``whoami(as:)`` is for admins (`license:admin`, or `agent:update:tier` for
/// the tier), checked through the context's `Authorizer` with one audited permission
/// check, and each change is audited as its own event (`AuditEventType`). Every
/// failure is a ``LicenseError``.
///
/// ```swift
/// let agents = AgentAdministration(context: ServiceContext(store: store))
/// let ci = try await agents.createAgent(as: admin, named: "ci", namespace: "build", role: .editor)
/// let issued = try await agents.issueAPIKey(as: admin, agentNamed: "ci")  // show issued.key once
/// ```
public struct AgentAdministration: ContextService {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    // MARK: The caller

    /// The caller's own agent record. Any active agent may read itself; no permission is needed.
    /// - Throws: `unauthenticated` when the agent no longer exists or is suspended; `unavailable`.
    public func whoami(as principal: Principal) async throws(LicenseError) -> Agent {
        try await run("whoami") {
            guard let agent = try await store.agent(id: principal.agentID), agent.status == .active else {
                throw LicenseError(.unauthenticated, AccessError.unauthenticated.message)
            }
            return agent
        }
    }

    // MARK: Agents

    /// Creates an agent (`license:admin`: admin). Audited as `agent_created`.
    /// - Parameters:
    ///   - principal: the caller, an admin.
    ///   - name: unique, 1–128 characters of A–Z, a–z, 0–9, `.`, `_`, `-` and `@`, starting with a
    ///     letter or a digit (so that no two names print alike).
    ///   - namespace: the same rule as the name.
    ///   - role: default `viewer`, as the spec requires.
    ///   - tier: the agent's tier, default `FREE`.
    ///   - displayName: at most 256 bytes.
    /// - Throws: `invalidArgument` (bad name or namespace, or the name is taken), `permissionDenied`, `unavailable`.
    public func createAgent(
        as principal: Principal, named name: String, namespace: String, role: Role = .viewer,
        tier: LicenseTier = .free, displayName: String? = nil
    ) async throws(LicenseError) -> Agent {
        try await run("create-agent") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            try Self.checkIdentifier(name, what: "agent name")
            try Self.checkIdentifier(namespace, what: "namespace")
            if let displayName, displayName.utf8.count > ServiceLimits.displayNameBytes {
                throw LicenseError(.invalidArgument, "the display name is longer than \(ServiceLimits.displayNameBytes) bytes")
            }
            if try await store.agent(named: name) != nil {
                throw LicenseError(.invalidArgument, "an agent named '\(name)' already exists")
            }
            let agent = try await store.createAgent(
                NewAgent(
                    id: UUID.random(using: context.random), name: name, displayName: displayName, namespace: namespace,
                    tier: tier.rawValue, role: role.rawValue))
            _ = try await store.appendAuditEvent(
                NewAuditEvent(
                    eventType: .agentCreated, userID: admin.id,
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
            try ServiceContext.checkPageSize(limit)
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

    // MARK: Role, tier, status

    /// Changes an agent's role (`license:admin`: admin). Audited as `role_changed`
    /// with `{"agent", "from", "to"}`.
    /// - Throws: `notFound` for an unknown agent, `permissionDenied`, `unavailable`.
    public func setAgentRole(as principal: Principal, agentNamed name: String, to role: Role) async throws(LicenseError) -> Agent {
        try await run("set-role") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            return try await changeAgent(named: name, AgentChange(role: role.rawValue), by: admin, event: .roleChanged, field: { $0.role })
        }
    }

    /// Changes an agent's tier (`agent:update:tier`: admin). Audited as `tier_changed`.
    /// - Throws: `notFound` for an unknown agent, `permissionDenied`, `unavailable`.
    public func setAgentTier(as principal: Principal, agentNamed name: String, to tier: LicenseTier) async throws(LicenseError) -> Agent {
        try await run("set-tier") {
            let admin = try await authorizer.require(.agentUpdateTier, for: principal)
            return try await changeAgent(named: name, AgentChange(tier: tier.rawValue), by: admin, event: .tierChanged, field: { $0.tier })
        }
    }

    /// Suspends or resumes an agent (`license:admin`: admin). A suspended agent's checks are denied
    /// and its API keys stop authenticating on the next call. Audited as `status_changed`.
    /// - Throws: `invalidArgument` for a status other than active or suspended, `notFound`, `permissionDenied`, `unavailable`.
    public func setAgentStatus(as principal: Principal, agentNamed name: String, to status: AgentStatus) async throws(LicenseError) -> Agent {
        try await run("set-status") {
            guard status == .active || status == .suspended else {
                throw LicenseError(.invalidArgument, "status must be active or suspended")
            }
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            return try await changeAgent(
                named: name, AgentChange(status: status), by: admin, event: .statusChanged, field: { $0.status.rawValue })
        }
    }

    private func changeAgent(
        named name: String, _ change: AgentChange, by admin: Agent, event: AuditEventType, field: @escaping @Sendable (Agent) -> String
    ) async throws -> Agent {
        let target = try await existingAgent(named: name)
        return try await store.updateAgent(id: target.id, change) { old, new in
            NewAuditEvent(
                eventType: event, severity: .warning, userID: admin.id,
                details: ["agent": new.name, "agent_id": new.id.canonicalText, "from": field(old), "to": field(new)])
        }
    }

    // MARK: API keys

    /// Issues a new API key for an agent (`license:admin`: admin). Audited as `api_key_created`
    /// with the key's display prefix. The returned key is the only copy: show it once.
    /// - Throws: `notFound`, `permissionDenied`, `unavailable`.
    public func issueAPIKey(as principal: Principal, agentNamed name: String) async throws(LicenseError) -> APIKeyAuthenticator.IssuedKey {
        try await run("issue-api-key") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            let agent = try await existingAgent(named: name)
            let issued = try await APIKeyAuthenticator(store: store, random: context.random).issueKey(for: agent.id)
            _ = try await store.appendAuditEvent(
                NewAuditEvent(
                    eventType: .apiKeyCreated, userID: admin.id,
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
                    eventType: .apiKeyRevoked, severity: .warning, userID: admin.id,
                    details: ["agent": agent.name, "agent_id": agent.id.canonicalText, "prefix": key.prefix]))
            return key
        }
    }

    // MARK: Helpers

    func existingAgent(named name: String) async throws -> Agent {
        // Agents created before names were restricted may have any text: the name as typed first,
        // then its NFC form (a name typed decomposed finds the composed one).
        if let agent = try await store.agent(named: name) { return agent }
        let composed = name.precomposedStringWithCanonicalMapping
        // Swift's == treats the two forms as equal; the database compares bytes.
        if !composed.utf8.elementsEqual(name.utf8), let agent = try await store.agent(named: composed) { return agent }
        throw LicenseError(.notFound, "no agent named '\(name.prefix(64))'")
    }

    /// Checks a new agent name or namespace against ``ServiceLimits/identifierCharacters`` and
    /// the safe set: ASCII letters and digits, `.`, `_`, `-` and `@`, starting with a letter or a
    /// digit. Names that print alike must not be distinct agents — `аdmin` (Cyrillic а),
    /// `ａdmin` (fullwidth), `admin⠀` (a blank braille cell), or `café` composed and decomposed —
    /// and a name must not read as a command-line option. The error names the first character
    /// refused, by code point.
    static func checkIdentifier(_ value: String, what: String) throws {
        let limit = ServiceLimits.identifierCharacters
        let rule = "1–\(limit) characters of A–Z, a–z, 0–9, '.', '_', '-' and '@', starting with a letter or a digit"
        guard !value.isEmpty, value.unicodeScalars.count <= limit else {
            throw LicenseError(.invalidArgument, "the \(what) must be \(rule)")
        }
        if let refused = value.unicodeScalars.enumerated().first(where: { !isSafe($0.element, first: $0.offset == 0) })?.element {
            let hex = String(refused.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            throw LicenseError(.invalidArgument, "the \(what) must be \(rule); \(code) is not allowed")
        }
    }

    private static func isSafe(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case ".", "_", "-", "@": !first
        default: false
        }
    }
}
