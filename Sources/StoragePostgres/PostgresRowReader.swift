import Foundation
import PostgresNIO
import TMWSStorage

/// Reads the columns of one result row in order, into the storage records.
struct PostgresRowReader {
    private let row: PostgresRandomAccessRow
    private var index = 0

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    /// The next column's value.
    mutating func next<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        defer { index += 1 }
        return try row[index].decode(T.self, context: .default)
    }

    /// The next column, a timestamp.
    mutating func date() throws -> Date { try next(PostgresTimestamp.self).date }

    /// The next column, a timestamp or NULL.
    mutating func optionalDate() throws -> Date? { try next(PostgresTimestamp?.self)?.date }

    /// Skips columns.
    mutating func skip(_ count: Int) { index += count }

    /// A JSON object column (`jsonb` read as text).
    mutating func jsonObject() throws -> [String: String] { try JSONText.decode(next(String?.self)) }

    /// The columns of ``PostgresStore/Columns/agent``.
    mutating func agent() throws -> Agent {
        Agent(
            id: try next(), name: try next(), displayName: try next(), namespace: try next(),
            status: AgentStatus(rawValue: try next()), tier: try next(), role: try next(), createdAt: try date(),
            updatedAt: try date())
    }

    /// The columns of ``PostgresStore/Columns/apiKey``.
    mutating func apiKey() throws -> AgentAPIKey {
        AgentAPIKey(
            id: try next(), agentID: try next(), keyHash: try next(), prefix: try next(), createdAt: try date(),
            lastUsedAt: try optionalDate(), revokedAt: try optionalDate())
    }

    /// The columns of ``PostgresStore/Columns/audit``.
    mutating func auditEvent() throws -> AuditEvent {
        AuditEvent(
            id: try next(), eventType: AuditEventType(try next() as String), severity: AuditSeverity(rawValue: try next()), userID: try next(),
            details: try jsonObject(), createdAt: try date())
    }

    /// The columns of ``PostgresStore/Columns/license``.
    mutating func license() throws -> License {
        License(
            id: try next(), ownerID: try next(), namespace: try next(), tier: try next(), keyHash: try next(),
            issuedAt: try date(), expiresAt: try optionalDate(), isActive: try next(), revokedAt: try optionalDate(),
            revokedReason: try next(), revokedBy: try next(), createdAt: try date(), lastValidatedAt: try optionalDate(),
            validationCount: Int64(try next(Int32.self)),
            metadata: try jsonObject())
    }

    /// The columns of ``PostgresStore/Columns/usage``.
    mutating func usage() throws -> UsageRecord {
        UsageRecord(
            id: try next(), licenseID: try next(), agentID: try next(), validatedAt: try date(), valid: try next(),
            featureAccessed: try next(), failureReason: try next())
    }
}

extension PostgresStore {
    /// The column lists the row reader expects, in order.
    enum Columns {
        static let agent = RecordColumns.list(RecordColumns.agent)
        static let apiKey = RecordColumns.list(RecordColumns.apiKey)
        static let audit = RecordColumns.list(RecordColumns.audit, jsonSuffix: "::text")
        static let license = RecordColumns.list(RecordColumns.license, jsonSuffix: "::text")
        static let usage = RecordColumns.list(RecordColumns.usage)

        /// The agent's columns, each after the table alias.
        static func agent(alias: String) -> String { RecordColumns.list(RecordColumns.agent, prefix: alias + ".") }
        /// The API key's columns, each after the table alias.
        static func apiKey(alias: String) -> String { RecordColumns.list(RecordColumns.apiKey, prefix: alias + ".") }
    }
}

extension String {
    /// The text as PostgreSQL can store it: `text` and `jsonb` cannot hold U+0000, so it becomes
    /// U+FFFD (the replacement character), in writes and in lookups alike.
    var storable: String {
        guard utf8.contains(0) else { return self }
        return replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }
}
