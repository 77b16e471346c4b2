import Foundation
import PostgresNIO
import TMWSStorage

extension PostgresStore {
    public func createAgent(_ new: NewAgent) async throws -> Agent {
        try Validation.agent(new)
        return try await transaction { connection in
            let now = try await self.now(connection)
            let agent = Agent(
                id: new.id, name: new.name.storable, displayName: new.displayName?.storable, namespace: new.namespace.storable,
                status: AgentStatus(rawValue: new.status.rawValue.storable), tier: new.tier.storable, role: new.role.storable,
                createdAt: now, updatedAt: now)
            try await self.execute(
                connection,
                """
                INSERT INTO agents (id, agent_id, display_name, namespace, status, tier, role, created_at, updated_at)
                VALUES (\(agent.id), \(agent.name), \(agent.displayName), \(agent.namespace), \(agent.status.rawValue),
                    \(agent.tier), \(agent.role), \(now.postgres), \(now.postgres))
                """)
            return agent
        }
    }

    public func agent(id: UUID) async throws -> Agent? {
        try await run { connection in try await self.fetchAgent(connection, id: id) }
    }

    func fetchAgent(_ connection: PostgresConnection, id: UUID) async throws -> Agent? {
        try await fetchOne(connection, "SELECT \(unescaped: Columns.agent) FROM agents WHERE id = \(id)") { try $0.agent() }
    }

    public func agent(named name: String) async throws -> Agent? {
        try await run { connection in
            try await self.fetchOne(connection, "SELECT \(unescaped: Columns.agent) FROM agents WHERE agent_id = \(name.storable)") {
                try $0.agent()
            }
        }
    }

    public func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        try await page.keysetPage { cursor, limit in
            var query = PostgresFilterQuery("SELECT \(Columns.agent) FROM agents")
            query.where("role = ?", filter.role?.storable)
            query.where("namespace = ?", filter.namespace?.storable)
            query.where("status = ?", filter.status?.rawValue.storable)
            query.where("agent_id > ?", cursor?.key)
            query.suffix("ORDER BY agent_id", limit: limit)
            return try await run { [query] connection in try await self.fetch(connection, query.query) { try $0.agent() } }
        }
    }

    public func updateAgent(
        id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?
    ) async throws -> Agent {
        try await transaction { connection in
            guard
                let old = try await self.fetchOne(
                    connection, "SELECT \(unescaped: Columns.agent) FROM agents WHERE id = \(id) FOR UPDATE", { try $0.agent() })
            else { throw StorageError(.notFound, "no agent with this id") }
            let now = try await self.now(connection)
            let storableChange = AgentChange(
                role: change.role?.storable, tier: change.tier?.storable,
                status: change.status.map { AgentStatus(rawValue: $0.rawValue.storable) }, displayName: change.displayName?.storable)
            let new = storableChange.applied(to: old, at: now)
            try await self.execute(
                connection,
                """
                UPDATE agents SET role = \(new.role), tier = \(new.tier), status = \(new.status.rawValue),
                    display_name = \(new.displayName), updated_at = \(now.postgres)
                WHERE id = \(id)
                """)
            if let event = audit?(old, new) { try await self.insertAudit(connection, event, at: now) }
            return new
        }
    }

    // MARK: API keys

    public func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        try await transaction { connection in
            let now = try await self.now(connection)
            let key = AgentAPIKey(id: UUID(), agentID: agentID, keyHash: keyHash.storable, prefix: prefix.storable, createdAt: now)
            try await self.execute(
                connection,
                """
                INSERT INTO agent_api_keys (id, agent_id, key_hash, key_prefix, created_at)
                VALUES (\(key.id), \(agentID), \(key.keyHash), \(key.prefix), \(now.postgres))
                """)
            return key
        }
    }

    public func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? {
        try await run { connection in
            try await self.fetchOne(
                connection,
                """
                SELECT \(unescaped: Columns.apiKey(alias: "k")), \(unescaped: Columns.agent(alias: "a"))
                FROM agent_api_keys k JOIN agents a ON a.id = k.agent_id
                WHERE k.key_hash = \(hash.storable) AND k.revoked_at IS NULL
                """
            ) { row in ResolvedAPIKey(key: try row.apiKey(), agent: try row.agent()) }
        }
    }

    public func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] {
        try await run { connection in
            try await self.fetch(
                connection,
                "SELECT \(unescaped: Columns.apiKey) FROM agent_api_keys WHERE agent_id = \(agentID) ORDER BY created_at, id"
            ) { try $0.apiKey() }
        }
    }

    public func revokeAPIKey(id: UUID) async throws -> AgentAPIKey {
        try await transaction { connection in
            let now = try await self.now(connection)
            try await self.execute(
                connection, "UPDATE agent_api_keys SET revoked_at = \(now.postgres) WHERE id = \(id) AND revoked_at IS NULL")
            guard
                let key = try await self.fetchOne(
                    connection, "SELECT \(unescaped: Columns.apiKey) FROM agent_api_keys WHERE id = \(id)", { try $0.apiKey() })
            else { throw StorageError(.notFound, "no API key with this id") }
            return key
        }
    }

    public func recordAPIKeyUse(id: UUID) async throws {
        try await transaction { connection in
            let now = try await self.now(connection)
            let updated = try await self.fetch(
                connection, "UPDATE agent_api_keys SET last_used_at = \(now.postgres) WHERE id = \(id) RETURNING id"
            ) { try $0.next(UUID.self) }
            guard updated.count == 1 else { throw StorageError(.notFound, "no API key with this id") }
        }
    }
}
