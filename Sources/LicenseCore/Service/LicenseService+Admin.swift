import Foundation
import TMWSRBAC
import TMWSStorage

extension LicenseService {
    /// Licenses the caller may see, newest first (`license:read`). Viewers and editors see their own
    /// licenses; asking for another owner or namespace is denied. Admins see any, with any filter.
    /// - Throws: `invalidArgument` (limit 1…1000, cursor), `permissionDenied`, `unavailable`.
    public func listLicenses(
        as principal: Principal, filter: LicenseFilter = LicenseFilter(), limit: Int = 100, cursor: String? = nil
    ) async throws(LicenseError) -> Page<License> {
        try await run("list") {
            let agent = try await authorizer.require(.licenseRead, for: principal) { agent in
                Resource(ownerID: filter.ownerID ?? agent.id, namespace: filter.namespace ?? agent.namespace)
            }
            guard Limits.pageSize.contains(limit) else { throw LicenseError(.invalidArgument, "limit must be between 1 and 1000") }
            var scoped = filter
            if Role(parsing: agent.role) != .admin {
                scoped.ownerID = agent.id
                scoped.namespace = agent.namespace
            }
            return try await store.licenses(matching: scoped, page: PageRequest(limit: limit, cursor: cursor))
        }
    }

    /// Changes an agent's role (`license:admin`: admin). Audited as `role_changed`
    /// with `{"agent", "from", "to"}`.
    /// - Throws: `notFound` for an unknown agent, `permissionDenied`, `unavailable`.
    public func setAgentRole(as principal: Principal, agentNamed name: String, to role: Role) async throws(LicenseError) -> Agent {
        try await run("set-role") {
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            return try await changeAgent(named: name, AgentChange(role: role.rawValue), by: admin, event: "role_changed", field: { $0.role })
        }
    }

    /// Changes an agent's tier (`agent:update:tier`: admin). Audited as `tier_changed`.
    /// - Throws: `notFound` for an unknown agent, `permissionDenied`, `unavailable`.
    public func setAgentTier(as principal: Principal, agentNamed name: String, to tier: LicenseTier) async throws(LicenseError) -> Agent {
        try await run("set-tier") {
            let admin = try await authorizer.require(.agentUpdateTier, for: principal)
            return try await changeAgent(named: name, AgentChange(tier: tier.rawValue), by: admin, event: "tier_changed", field: { $0.tier })
        }
    }

    /// Suspends or resumes an agent (`license:admin`: admin). A suspended agent's checks are denied
    /// and its API keys stop authenticating on the next call. Audited as `status_changed`.
    public func setAgentStatus(as principal: Principal, agentNamed name: String, to status: AgentStatus) async throws(LicenseError) -> Agent {
        try await run("set-status") {
            guard status == .active || status == .suspended else {
                throw LicenseError(.invalidArgument, "status must be active or suspended")
            }
            let admin = try await authorizer.require(.licenseAdmin, for: principal)
            return try await changeAgent(named: name, AgentChange(status: status), by: admin, event: "status_changed", field: { $0.status.rawValue })
        }
    }

    private func changeAgent(
        named name: String, _ change: AgentChange, by admin: Agent, event: String, field: @escaping @Sendable (Agent) -> String
    ) async throws -> Agent {
        guard let target = try await store.agent(named: name) else {
            throw LicenseError(.notFound, "no agent named '\(name.prefix(64))'")
        }
        return try await store.updateAgent(id: target.id, change) { old, new in
            NewAuditEvent(
                eventType: event, severity: .warning, userID: admin.id,
                details: ["agent": new.name, "agent_id": new.id.canonicalText, "from": field(old), "to": field(new)])
        }
    }

    /// The audit log, newest first (`system:audit`: admin).
    /// - Throws: `invalidArgument` (limit 1…1000, cursor), `permissionDenied`, `unavailable`.
    public func auditLog(
        as principal: Principal, filter: AuditFilter = AuditFilter(), limit: Int = 100, cursor: String? = nil
    ) async throws(LicenseError) -> Page<AuditEvent> {
        try await run("audit") {
            try await authorizer.require(.systemAudit, for: principal)
            guard Limits.pageSize.contains(limit) else { throw LicenseError(.invalidArgument, "limit must be between 1 and 1000") }
            return try await store.auditEvents(matching: filter, page: PageRequest(limit: limit, cursor: cursor))
        }
    }
}

extension LicenseService {
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
}
