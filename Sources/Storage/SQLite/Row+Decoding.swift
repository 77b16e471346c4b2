import Foundation
import GRDB
import GRDBSQLite

/// The columns of one fetched row, read by index: a GRDB `Row`, or the current row of a statement
/// stepped through the sqlite3 C API (``StatementRow``). The record decoders below work on either.
protocol StoredColumns {
    func string(at index: Int) -> String?
    func int64(at index: Int) -> Int64?
    /// Calls `body` with the column's text as UTF-8 bytes; `nil` when the column is NULL.
    func withUTF8<T>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T?
}

extension Row: StoredColumns {
    func string(at index: Int) -> String? { self[index] }
    func int64(at index: Int) -> Int64? { self[index] }
    func withUTF8<T>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        guard var text: String = self[index] else { return nil }
        return text.withUTF8(body)
    }
}

/// The current row of a statement stepped with `sqlite3_step`, read with `sqlite3_column_*`.
/// Unlike a GRDB `Row`, it builds no column-name index per fetched row, and ids and timestamps
/// are parsed straight from SQLite's text buffer.
struct StatementRow: StoredColumns {
    let statement: SQLiteStatement

    func string(at index: Int) -> String? {
        withUTF8(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    func int64(at index: Int) -> Int64? {
        sqlite3_column_type(statement, CInt(index)) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, CInt(index))
    }

    func withUTF8<T>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        guard sqlite3_column_type(statement, CInt(index)) != SQLITE_NULL else { return nil }
        // sqlite3_column_text before sqlite3_column_bytes, as SQLite's documentation prescribes.
        guard let text = sqlite3_column_text(statement, CInt(index)) else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, CInt(index)))))
    }
}

/// Strict decoding of stored values: a value that does not decode is `corrupt`, never a crash.
extension StoredColumns {
    func text(_ index: Int) throws -> String {
        guard let value = string(at: index) else { throw StorageError(.corrupt, "a required text column is NULL") }
        return value
    }

    func uuid(_ index: Int) throws -> UUID {
        guard let value = try optionalUUID(index) else { throw StorageError(.corrupt, "a required id column is NULL") }
        return value
    }

    func optionalUUID(_ index: Int) throws -> UUID? {
        guard let parsed = withUTF8(at: index, { UUID(canonicalUTF8: $0) }) else { return nil }
        guard let value = parsed else { throw StorageError(.corrupt, "a stored id is not a UUID") }
        return value
    }

    func date(_ index: Int) throws -> Date {
        guard let value = try optionalDate(index) else { throw StorageError(.corrupt, "a required timestamp column is NULL") }
        return value
    }

    func optionalDate(_ index: Int) throws -> Date? {
        guard let parsed = withUTF8(at: index, { Timestamp.parse(utf8: $0) }) else { return nil }
        guard let value = parsed else { throw StorageError(.corrupt, "a stored timestamp is not valid") }
        return value
    }

    func bool(_ index: Int) -> Bool {
        int64(at: index).map { $0 != 0 } ?? false
    }

    func agent(at offset: Int = 0) throws -> Agent {
        Agent(
            id: try uuid(offset), name: try text(offset + 1), displayName: string(at: offset + 2), namespace: try text(offset + 3),
            status: AgentStatus(rawValue: try text(offset + 4)), tier: try text(offset + 5), role: try text(offset + 6),
            createdAt: try date(offset + 7), updatedAt: try date(offset + 8))
    }

    func apiKey(at offset: Int = 0) throws -> AgentAPIKey {
        AgentAPIKey(
            id: try uuid(offset), agentID: try uuid(offset + 1), keyHash: try text(offset + 2), prefix: try text(offset + 3),
            createdAt: try date(offset + 4), lastUsedAt: try optionalDate(offset + 5), revokedAt: try optionalDate(offset + 6))
    }

    func auditEvent() throws -> AuditEvent {
        AuditEvent(
            id: int64(at: 0) ?? 0, eventType: AuditEventType(try text(1)), severity: AuditSeverity(rawValue: try text(2)),
            userID: try optionalUUID(3), details: try JSONText.decode(string(at: 4)), createdAt: try date(5))
    }

    func license() throws -> License {
        License(
            id: try uuid(0), ownerID: try uuid(1), namespace: try text(2), tier: try text(3), keyHash: try text(4),
            issuedAt: try date(5), expiresAt: try optionalDate(6), isActive: bool(7), revokedAt: try optionalDate(8),
            revokedReason: string(at: 9), revokedBy: try optionalUUID(10), createdAt: try date(11),
            lastValidatedAt: try optionalDate(12), validationCount: int64(at: 13) ?? 0, metadata: try JSONText.decode(string(at: 14)))
    }

    func usage() throws -> UsageRecord {
        UsageRecord(
            id: int64(at: 0) ?? 0, licenseID: try optionalUUID(1), agentID: try uuid(2), validatedAt: try date(3), valid: bool(4),
            featureAccessed: string(at: 5), failureReason: string(at: 6))
    }
}

extension Row {
    static let agentColumns = RecordColumns.list(RecordColumns.agent)
    static let apiKeyColumns = RecordColumns.list(RecordColumns.apiKey)
    static let auditColumns = RecordColumns.list(RecordColumns.audit)
    static let licenseColumns = RecordColumns.list(RecordColumns.license)
    static let usageColumns = RecordColumns.list(RecordColumns.usage)
}

/// A value bound to a statement parameter by ``GRDB/Database/fetchFirst(sql:arguments:_:)`` and
/// ``GRDB/Database/execute(cached:_:)``.
enum SQLiteArgument {
    case text(String)
    case integer(Int64)
    case null

    /// Text, or NULL for `nil`.
    static func text(_ value: String?) -> SQLiteArgument { value.map { .text($0) } ?? .null }
}

/// The hot paths' statements (validation, audit rows) are executed through the sqlite3 C API on
/// statements that GRDB prepares and caches, inside GRDB's connection and transaction.
///
/// GRDB's general path costs more than the statement itself here: `StatementArguments` boxes every
/// value, and a fetched `Row` builds a dictionary of lowercased column names and decodes each
/// column through generic metadata lookups. On a file database that was about a fifth of a
/// validation's CPU time. These helpers bind, step and read columns directly. They are used only
/// for INSERT, UPDATE and single-row SELECT statements inside a transaction that GRDB tracks (the
/// store registers no transaction observers, so GRDB has nothing to record for them), and they
/// reset the statement before and after use, so GRDB's own uses of a cached statement are unaffected.
extension Database {
    /// Runs a cached SELECT and decodes its first row, or returns `nil` when there is none.
    func fetchFirst<T>(sql: String, arguments: [SQLiteArgument], _ decode: (StatementRow) throws -> T) throws -> T? {
        let statement = try bound(sql: sql, arguments)
        defer { sqlite3_reset(statement) }
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return try decode(StatementRow(statement: statement))
        case SQLITE_DONE: return nil
        case let code: throw failure(code, sql: sql)
        }
    }

    /// Runs a cached INSERT or UPDATE.
    func execute(cached sql: String, _ arguments: [SQLiteArgument]) throws {
        let statement = try bound(sql: sql, arguments)
        defer { sqlite3_reset(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else { throw failure(code, sql: sql) }
    }

    private func bound(sql: String, _ arguments: [SQLiteArgument]) throws -> SQLiteStatement {
        let statement = try cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, argument) in arguments.enumerated() {
            let index = CInt(offset + 1)
            let code: CInt
            switch argument {
            case .text(let text): code = sqlite3_bind_text(statement, index, text, -1, SQLITE_TRANSIENT)
            case .integer(let value): code = sqlite3_bind_int64(statement, index, value)
            case .null: code = sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw failure(code, sql: sql) }
        }
        return statement
    }

    /// The error GRDB would have thrown: the extended result code and SQLite's message.
    private func failure(_ code: CInt, sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: lastErrorMessage, sql: sql)
    }
}

/// SQLite's "copy this value before returning" destructor, which the C macro `SQLITE_TRANSIENT` names.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Date {
    /// The SQLite timestamp text of this date.
    var sqlText: String { Timestamp.sqliteText(self) }
}
