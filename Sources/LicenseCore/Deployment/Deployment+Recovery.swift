import Foundation
import TMWSRBAC
import TMWSStorage

extension Deployment {
    /// What ``ensureBootstrapAdmin(keyFile:)`` did.
    public struct AdminRecovery: Sendable {
        /// The bootstrap `admin` agent as it stands now.
        public let admin: Agent
        /// The agent did not exist and was created.
        public let created: Bool
        /// No active admin remained, so the agent's role was set back to `admin` (and it was resumed).
        public let restored: Bool
        /// The file a new API key was written to, when one was issued (the agent had no active key).
        public let keyFile: String?
    }

    /// Break-glass recovery for the operator who holds the database file: makes sure some active
    /// agent has the `admin` role. When none does — after the RBAC migration, which gives every
    /// existing agent the role `viewer`, or after a `migrate down`/`up` cycle — the bootstrap
    /// `admin` agent is created or given back the `admin` role and resumed. The change is audited
    /// as `role_changed` with `"by": "local-operator"`. When the bootstrap agent has no active API
    /// key, a new one is written to `keyFile` (owner-only). When an active admin exists, nothing changes.
    /// - Throws: `StorageError` when storage fails; ``ConfigurationError`` when the key file cannot be written.
    public func ensureBootstrapAdmin(keyFile: String) async throws -> AdminRecovery {
        let admins = try await store.allAgents(matching: AgentFilter(role: Role.admin.rawValue, status: .active))
        var agent = try await store.agent(named: Self.adminName)
        var created = false
        var restored = false
        if admins.isEmpty {
            if let existing = agent {
                agent = try await store.updateAgent(id: existing.id, AgentChange(role: Role.admin.rawValue, status: .active)) { old, new in
                    NewAuditEvent(
                        eventType: .roleChanged, severity: .warning, userID: nil,
                        details: [
                            "agent": new.name, "agent_id": new.id.canonicalText, "from": old.role, "to": new.role,
                            "by": "local-operator",
                        ])
                }
                restored = true
            } else {
                agent = try await store.createAgent(
                    NewAgent(name: Self.adminName, displayName: "Administrator", namespace: "default", role: Role.admin.rawValue))
                _ = try await store.appendAuditEvent(
                    NewAuditEvent(
                        eventType: .agentCreated, severity: .warning, userID: nil,
                        details: ["agent": Self.adminName, "role": Role.admin.rawValue, "by": "local-operator"]))
                created = true
            }
        }
        guard let agent else {
            // Another active admin exists and there is no bootstrap agent: nothing to recover.
            return AdminRecovery(admin: admins[0], created: false, restored: false, keyFile: nil)
        }
        var written: String?
        if created || restored, try await store.apiKeys(agentID: agent.id).allSatisfy({ $0.revokedAt != nil }) {
            let issued = try await authenticator.issueKey(for: agent.id)
            try Self.writeOwnerOnly(issued.key + "\n", to: keyFile)
            written = keyFile
        }
        return AdminRecovery(admin: agent, created: created, restored: restored, keyFile: written)
    }
}
