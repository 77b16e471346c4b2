import Foundation
import GRDB

/// Strict decoding of stored values: a value that does not decode is `corrupt`, never a crash.
extension Row {
    func text(_ index: Int) throws -> String {
        guard let value: String = self[index] else { throw StorageError(.corrupt, "a required text column is NULL") }
        return value
    }

    func uuid(_ index: Int) throws -> UUID {
        guard let value = try optionalUUID(index) else { throw StorageError(.corrupt, "a required id column is NULL") }
        return value
    }

    func optionalUUID(_ index: Int) throws -> UUID? {
        guard let text: String = self[index] else { return nil }
        guard let value = UUID(canonicalText: text) else { throw StorageError(.corrupt, "a stored id is not a UUID") }
        return value
    }

    func date(_ index: Int) throws -> Date {
        guard let value = try optionalDate(index) else { throw StorageError(.corrupt, "a required timestamp column is NULL") }
        return value
    }

    func optionalDate(_ index: Int) throws -> Date? {
        guard let text: String = self[index] else { return nil }
        guard let value = Timestamp.parse(text) else { throw StorageError(.corrupt, "a stored timestamp is not valid") }
        return value
    }

    func bool(_ index: Int) -> Bool {
        (self[index] as Int64?).map { $0 != 0 } ?? false
    }

    static let agentColumns = "id, agent_id, display_name, namespace, status, tier, role, created_at, updated_at"

    func agent(at offset: Int = 0) throws -> Agent {
        Agent(
            id: try uuid(offset), name: try text(offset + 1), displayName: self[offset + 2], namespace: try text(offset + 3),
            status: AgentStatus(rawValue: try text(offset + 4)), tier: try text(offset + 5), role: try text(offset + 6),
            createdAt: try date(offset + 7), updatedAt: try date(offset + 8))
    }

    static let apiKeyColumns = "id, agent_id, key_hash, key_prefix, created_at, last_used_at, revoked_at"

    func apiKey(at offset: Int = 0) throws -> AgentAPIKey {
        AgentAPIKey(
            id: try uuid(offset), agentID: try uuid(offset + 1), keyHash: try text(offset + 2), prefix: try text(offset + 3),
            createdAt: try date(offset + 4), lastUsedAt: try optionalDate(offset + 5), revokedAt: try optionalDate(offset + 6))
    }

    static let auditColumns = "id, event_type, severity, user_id, details, created_at"

    func auditEvent() throws -> AuditEvent {
        AuditEvent(
            id: self[0], eventType: try text(1), severity: AuditSeverity(rawValue: try text(2)), userID: try optionalUUID(3),
            details: try JSONText.decode(self[4]), createdAt: try date(5))
    }

    static let licenseColumns = """
        id, agent_id, namespace, tier, license_key_hash, issued_at, expires_at, is_active, revoked_at, \
        revoked_reason, revoked_by, created_at, last_validated_at, validation_count, metadata
        """

    func license() throws -> License {
        License(
            id: try uuid(0), ownerID: try uuid(1), namespace: try text(2), tier: try text(3), keyHash: try text(4),
            issuedAt: try date(5), expiresAt: try optionalDate(6), isActive: bool(7), revokedAt: try optionalDate(8),
            revokedReason: self[9], revokedBy: try optionalUUID(10), createdAt: try date(11),
            lastValidatedAt: try optionalDate(12), validationCount: self[13] ?? 0, metadata: try JSONText.decode(self[14]))
    }

    static let usageColumns = "id, license_id, agent_id, validated_at, valid, feature_accessed, failure_reason"

    func usage() throws -> UsageRecord {
        UsageRecord(
            id: self[0], licenseID: try optionalUUID(1), agentID: try uuid(2), validatedAt: try date(3), valid: bool(4),
            featureAccessed: self[5], failureReason: self[6])
    }
}

extension Date {
    /// The SQLite timestamp text of this date.
    var sqlText: String { Timestamp.sqliteText(self) }
}
