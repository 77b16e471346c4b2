import Foundation

/// The data of a ``MemoryStore``, guarded by its mutex. Ordered arrays stand in for the SQL
/// indexes, so that keyset pages are found by binary search.
struct MemoryState {
    struct LicenseKey: Comparable {
        var millis: Int64
        var id: String
        static func < (a: LicenseKey, b: LicenseKey) -> Bool { (a.millis, a.id) < (b.millis, b.id) }
    }

    var agents: [UUID: Agent] = [:]
    var agentIDsByName: [String: UUID] = [:]
    var keys: [UUID: AgentAPIKey] = [:]
    var keyIDsByHash: [String: UUID] = [:]
    /// Every audit event, ordered by (created_at, id).
    var audit: [AuditEvent] = []
    var licenses: [UUID: License] = [:]
    var licenseIDsByHash: [String: UUID] = [:]
    /// License ids ordered by (created_at, id), as `ix_license_keys_created_at` orders them.
    var licenseOrder: [LicenseKey] = []
    /// Usage rows per license, ordered by (validated_at, id).
    var usageByLicense: [UUID: [UsageRecord]] = [:]
    /// Every attempt's time and validity, ordered by time, for counts over a window.
    var usageTimeline: [(millis: Int64, valid: Bool)] = []
    var nextUsageID: Int64 = 0
    /// License-token signing keys, oldest first.
    var signingKeys: [SigningKey] = []

    @discardableResult
    mutating func append(_ new: NewAuditEvent, at now: Date) -> AuditEvent {
        let event = AuditEvent(
            id: Int64(audit.count + 1), eventType: new.eventType, severity: new.severity, userID: new.userID,
            details: new.details, createdAt: now)
        let key = (now.ms, event.id)
        audit.insert(event, at: audit.partitionIndex { ($0.createdAt.ms, $0.id) > key })
        return event
    }

    mutating func insertUsage(_ usage: UsageRecord) {
        let key = (usage.validatedAt.ms, usage.id)
        if let licenseID = usage.licenseID {
            var rows = usageByLicense.removeValue(forKey: licenseID) ?? []
            rows.insert(usage, at: rows.partitionIndex { ($0.validatedAt.ms, $0.id) > key })
            usageByLicense[licenseID] = rows
        }
        usageTimeline.insert(
            (usage.validatedAt.ms, usage.valid), at: usageTimeline.partitionIndex { $0.millis > usage.validatedAt.ms })
    }
}
