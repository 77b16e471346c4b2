import Foundation
import GRDB

extension SQLiteStore {
    public func createAgent(_ new: NewAgent) async throws -> Agent {
        try Validation.agent(new)
        return try await write { db, now in
            let agent = Agent(
                id: new.id, name: new.name, displayName: new.displayName, namespace: new.namespace,
                status: new.status, tier: new.tier, role: new.role, createdAt: now, updatedAt: now)
            try db.cachedStatement(
                sql: "INSERT INTO agents (\(Row.agentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                agent.id.canonicalText, agent.name, agent.displayName, agent.namespace, agent.status.rawValue,
                agent.tier, agent.role, now.sqlText, now.sqlText,
            ])
            return agent
        }
    }

    public func agent(id: UUID) async throws -> Agent? {
        try await read { db in try Self.fetchAgent(db, id: id) }
    }

    static func fetchAgent(_ db: Database, id: UUID) throws -> Agent? {
        try db.fetchFirst(sql: selectAgentByID, arguments: [.text(id.canonicalText)]) { try $0.agent() }
    }

    /// Built once: a validation step reads the agent by id, and interpolating the statement's text
    /// on every call allocated and copied it again each time.
    private static let selectAgentByID = "SELECT \(Row.agentColumns) FROM agents WHERE id = ?"

    public func agent(named name: String) async throws -> Agent? {
        try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Row.agentColumns) FROM agents WHERE agent_id = ?"), arguments: [name]
            )?.agent()
        }
    }

    public func agents(matching filter: AgentFilter, page: PageRequest) async throws -> Page<Agent> {
        try await page.keysetPage { cursor, limit in
            var query = SQLQuery("SELECT \(Row.agentColumns) FROM agents")
            query.where("role = ?", filter.role)
            query.where("namespace = ?", filter.namespace)
            query.where("status = ?", filter.status?.rawValue)
            query.where("agent_id > ?", cursor?.key)
            query.suffix("ORDER BY agent_id LIMIT ?", limit)
            return try await read { [query] db in try Row.fetchAll(db, sql: query.sql, arguments: query.arguments).map { try $0.agent() } }
        }
    }

    public func updateAgent(
        id: UUID, _ change: AgentChange, audit: (@Sendable (Agent, Agent) -> NewAuditEvent?)?
    ) async throws -> Agent {
        try await write { db, now in
            guard let old = try Self.fetchAgent(db, id: id) else { throw StorageError(.notFound, "no agent with this id") }
            let new = change.applied(to: old, at: now)
            try db.execute(
                sql: "UPDATE agents SET role = ?, tier = ?, status = ?, display_name = ?, updated_at = ? WHERE id = ?",
                arguments: [new.role, new.tier, new.status.rawValue, new.displayName, now.sqlText, id.canonicalText])
            if let event = audit?(old, new) { try Self.insertAudit(db, event, at: now) }
            return new
        }
    }

    // MARK: API keys

    public func addAPIKey(agentID: UUID, keyHash: String, prefix: String) async throws -> AgentAPIKey {
        try await write { db, now in
            let key = AgentAPIKey(id: UUID(), agentID: agentID, keyHash: keyHash, prefix: prefix, createdAt: now)
            try db.execute(
                sql: "INSERT INTO agent_api_keys (\(Row.apiKeyColumns)) VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                arguments: [key.id.canonicalText, agentID.canonicalText, keyHash, prefix, now.sqlText])
            return key
        }
    }

    public func resolveAPIKey(hash: String) async throws -> ResolvedAPIKey? {
        try await read { db in try Self.fetchResolvedAPIKey(db, hash: hash) }
    }

    static func fetchResolvedAPIKey(_ db: Database, hash: String) throws -> ResolvedAPIKey? {
        let sql = """
            SELECT k.id, k.agent_id, k.key_hash, k.key_prefix, k.created_at, k.last_used_at, k.revoked_at,
                a.id, a.agent_id, a.display_name, a.namespace, a.status, a.tier, a.role, a.created_at, a.updated_at
            FROM agent_api_keys k JOIN agents a ON a.id = k.agent_id
            WHERE k.key_hash = ? AND k.revoked_at IS NULL
            """
        return try db.fetchFirst(sql: sql, arguments: [.text(hash)]) { row in
            ResolvedAPIKey(key: try row.apiKey(at: 0), agent: try row.agent(at: 7))
        }
    }

    public func apiKeys(agentID: UUID) async throws -> [AgentAPIKey] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Row.apiKeyColumns) FROM agent_api_keys WHERE agent_id = ? ORDER BY created_at, id",
                arguments: [agentID.canonicalText]
            ).map { try $0.apiKey() }
        }
    }

    public func revokeAPIKey(id: UUID) async throws -> AgentAPIKey {
        try await write { db, now in
            try db.execute(
                sql: "UPDATE agent_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [now.sqlText, id.canonicalText])
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(Row.apiKeyColumns) FROM agent_api_keys WHERE id = ?", arguments: [id.canonicalText])
            else { throw StorageError(.notFound, "no API key with this id") }
            return try row.apiKey()
        }
    }

    public func recordAPIKeyUse(id: UUID) async throws {
        try await write { db, now in
            try db.cachedStatement(sql: "UPDATE agent_api_keys SET last_used_at = ? WHERE id = ?")
                .execute(arguments: [now.sqlText, id.canonicalText])
            guard db.changesCount == 1 else { throw StorageError(.notFound, "no API key with this id") }
        }
    }
}

/// The SQLite form of ``FilterQuery``: `?` placeholders, GRDB values.
typealias SQLQuery = FilterQuery<any DatabaseValueConvertible & Sendable>

extension FilterQuery where Binding == any DatabaseValueConvertible & Sendable {
    init(_ select: String) { self.init(select, placeholders: .questionMarks) }

    var arguments: StatementArguments { StatementArguments(bindings.map { $0 as (any DatabaseValueConvertible)? }) }
}
