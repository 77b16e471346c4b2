import Foundation
import PostgresNIO
import TMWSStorage

extension PostgresStore {
    public func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent {
        try await transaction { connection in
            try await self.insertAudit(connection, event, at: try await self.now(connection))
        }
    }

    @discardableResult
    func insertAudit(_ connection: PostgresConnection, _ event: NewAuditEvent, at now: Date) async throws -> AuditEvent {
        let eventType = event.eventType.rawValue.storable
        let severity = event.severity.rawValue.storable
        let details = event.detailsJSON.storable
        let ids = try await fetch(
            connection,
            """
            INSERT INTO security_audit_logs (event_type, severity, user_id, details, created_at)
            VALUES (\(eventType), \(severity), \(event.userID), \(details)::jsonb, \(now.postgres))
            RETURNING id
            """
        ) { try $0.next(Int64.self) }
        guard let id = ids.first else { throw StorageError(.internalError, "PostgreSQL returned no audit row id") }
        return AuditEvent(
            id: id, eventType: AuditEventType(eventType), severity: AuditSeverity(rawValue: severity), userID: event.userID,
            details: try JSONText.decode(details), createdAt: now)
    }

    public func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        try await transaction { connection in
            let (agent, now) = try await self.fetchAgentAndNow(connection, id: id)
            let (result, event) = decide(agent, now)
            try await self.insertAudit(connection, event, at: now)
            return result
        }
    }

    /// Reads an agent and the time in one round trip.
    func fetchAgentAndNow(_ connection: PostgresConnection, id: UUID) async throws -> (Agent?, Date) {
        let rows = try await fetch(
            connection,
            """
            SELECT date_trunc('milliseconds', clock_timestamp()), a.id IS NOT NULL, \(unescaped: Columns.agent(alias: "a"))
            FROM (SELECT 1) AS one LEFT JOIN agents a ON a.id = \(id)
            """
        ) { row -> (Agent?, Date) in
            let serverNow = try row.date()
            let found: Bool = try row.next()
            return (found ? try row.agent() : nil, serverNow)
        }
        guard let (agent, serverNow) = rows.first else { throw StorageError(.internalError, "PostgreSQL returned no row") }
        return (agent, clock.map { Timestamp.truncated($0()) } ?? serverNow)
    }

    public func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await page.keysetPage { cursor, limit in
            var query = Self.auditQuery("SELECT \(Columns.audit) FROM security_audit_logs", filter)
            if let cursor {
                query.where("(created_at, id) < (?, ?)", Timestamp.date(milliseconds: cursor.millis).postgres, cursor.rowID)
            }
            query.suffix("ORDER BY created_at DESC, id DESC", limit: limit)
            return try await run { [query] connection in try await self.fetch(connection, query.query) { try $0.auditEvent() } }
        }
    }

    public func countAuditEvents(matching filter: AuditFilter) async throws -> Int {
        let query = Self.auditQuery("SELECT COUNT(*) FROM security_audit_logs", filter)
        return try await run { connection in
            Int(try await self.fetchOne(connection, query.query) { try $0.next(Int64.self) } ?? 0)
        }
    }

    static func auditQuery(_ select: String, _ filter: AuditFilter) -> PostgresFilterQuery {
        var query = PostgresFilterQuery(select)
        query.where("event_type = ?", filter.eventType?.rawValue.storable)
        query.where("user_id = ?", filter.userID)
        query.where("created_at >= ?", filter.since?.postgres)
        query.where("created_at < ?", filter.until?.postgres)
        query.where("details->>'result' = ?", filter.result?.storable)
        return query
    }
}
