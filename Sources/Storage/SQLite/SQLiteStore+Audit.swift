import Foundation
import GRDB

extension SQLiteStore {
    public func appendAuditEvent(_ event: NewAuditEvent) async throws -> AuditEvent {
        try await write { db, now in try Self.insertAudit(db, event, at: now) }
    }

    /// Appends `event` at `now`; `nowText` is `now.sqlText`, when the caller has it already.
    @discardableResult
    static func insertAudit(_ db: Database, _ event: NewAuditEvent, at now: Date, nowText: String? = nil) throws -> AuditEvent {
        try db.execute(
            cached: "INSERT INTO security_audit_logs (event_type, severity, user_id, details, created_at) VALUES (?, ?, ?, ?, ?)",
            [
                .text(event.eventType.rawValue), .text(event.severity.rawValue), .text(event.userID?.canonicalText),
                .text(event.detailsJSON), .text(nowText ?? now.sqlText),
            ])
        return AuditEvent(
            id: db.lastInsertedRowID, eventType: event.eventType, severity: event.severity, userID: event.userID,
            details: event.details, createdAt: now)
    }

    public func checkAgent<Result: Sendable>(
        id: UUID, decide: @escaping @Sendable (Agent?, Date) -> (Result, NewAuditEvent)
    ) async throws -> Result {
        try await write { db, now in
            let (result, event) = decide(try Self.fetchAgent(db, id: id), now)
            try Self.insertAudit(db, event, at: now)
            return result
        }
    }

    public func auditEvents(matching filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await page.keysetPage { cursor, limit in
            var query = Self.auditQuery("SELECT \(Row.auditColumns) FROM security_audit_logs", filter)
            if let cursor {
                query.where("(created_at, id) < (?, ?)", Timestamp.date(milliseconds: cursor.millis).sqlText, cursor.rowID)
            }
            query.suffix("ORDER BY created_at DESC, id DESC LIMIT ?", limit)
            return try await read { [query] db in
                try Row.fetchAll(db, sql: query.sql, arguments: query.arguments).map { try $0.auditEvent() }
            }
        }
    }

    public func countAuditEvents(matching filter: AuditFilter) async throws -> Int {
        let query = Self.auditQuery("SELECT COUNT(*) FROM security_audit_logs", filter)
        return try await read { db in try Int.fetchOne(db, sql: query.sql, arguments: query.arguments) ?? 0 }
    }

    static func auditQuery(_ select: String, _ filter: AuditFilter) -> SQLQuery {
        var query = SQLQuery(select)
        query.where("event_type = ?", filter.eventType?.rawValue)
        query.where("user_id = ?", filter.userID?.canonicalText)
        query.where("created_at >= ?", filter.since?.sqlText)
        query.where("created_at < ?", filter.until?.sqlText)
        query.where("json_extract(details, '$.result') = ?", filter.result)
        return query
    }
}
