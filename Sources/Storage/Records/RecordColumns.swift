/// The columns each record is read from, in the order the row decoders expect them, for every SQL
/// backend: the seed's tables, written once.
package enum RecordColumns {
    package static let agent = ["id", "agent_id", "display_name", "namespace", "status", "tier", "role", "created_at", "updated_at"]
    package static let apiKey = ["id", "agent_id", "key_hash", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    package static let audit = ["id", "event_type", "severity", "user_id", "details", "created_at"]
    package static let license = [
        "id", "agent_id", "namespace", "tier", "license_key_hash", "issued_at", "expires_at", "is_active", "revoked_at",
        "revoked_reason", "revoked_by", "created_at", "last_validated_at", "validation_count", "metadata",
    ]
    package static let usage = ["id", "license_id", "agent_id", "validated_at", "valid", "feature_accessed", "failure_reason"]

    /// The columns holding JSON objects (`security_audit_logs.details`, `license_keys.metadata`).
    package static let json: Set<String> = ["details", "metadata"]

    /// A select list of `columns`, with `jsonSuffix` after each JSON column (PostgreSQL reads
    /// them as `::text`), each name after `prefix` (a table alias and a dot) when given.
    package static func list(_ columns: [String], prefix: String = "", jsonSuffix: String = "") -> String {
        columns.map { prefix + $0 + (json.contains($0) ? jsonSuffix : "") }.joined(separator: ", ")
    }
}
