import Foundation

/// A row of `security_audit_logs`.
public struct AuditEvent: Sendable, Hashable, Codable {
    /// The row id; grows with every append.
    public var id: Int64
    /// What happened: ``AuditEventType/permissionCheck``, ``AuditEventType/licenseGenerated``, …
    public var eventType: AuditEventType
    /// How much it matters.
    public var severity: AuditSeverity
    /// The agent the event concerns (the caller for permission checks), if any.
    public var userID: UUID?
    /// Event details, stored as a JSON object. For permission checks at least
    /// `operation`, `role`, `result` (`ALLOW`/`DENY`) and `reason`.
    public var details: [String: String]
    /// When the event was recorded.
    public var createdAt: Date

    public init(
        id: Int64, eventType: AuditEventType, severity: AuditSeverity, userID: UUID?,
        details: [String: String], createdAt: Date
    ) {
        self.id = id
        self.eventType = eventType
        self.severity = severity
        self.userID = userID
        self.details = details
        self.createdAt = createdAt
    }
}

/// The severity of an audit event. Unknown values read from a database are kept as they are.
public struct AuditSeverity: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let info = AuditSeverity(rawValue: "info")
    public static let warning = AuditSeverity(rawValue: "warning")
    public static let critical = AuditSeverity(rawValue: "critical")

    public var description: String { rawValue }
}

/// An audit event to append; the store assigns the id and the time.
public struct NewAuditEvent: Sendable, Hashable {
    public var eventType: AuditEventType
    public var severity: AuditSeverity
    public var userID: UUID?
    public var details: [String: String] {
        didSet { encodedDetails = nil }
    }
    /// `details` as the JSON text a store writes, when it was encoded ahead of the store's step
    /// (``encodingDetails()``); `nil` after `details` changes. Not part of equality.
    package private(set) var encodedDetails: String?

    public init(eventType: AuditEventType, severity: AuditSeverity = .info, userID: UUID?, details: [String: String] = [:]) {
        self.eventType = eventType
        self.severity = severity
        self.userID = userID
        self.details = details
    }

    /// The event with its details already encoded: for an event built once and appended many
    /// times (a permission check's), so that a store's write step does not encode it again.
    package func encodingDetails() -> NewAuditEvent {
        var event = self
        event.encodedDetails = JSONText.encode(details)
        return event
    }

    /// The JSON text of `details` (sorted keys), as stored in `security_audit_logs.details`.
    package var detailsJSON: String { encodedDetails ?? JSONText.encode(details) }

    public static func == (lhs: NewAuditEvent, rhs: NewAuditEvent) -> Bool {
        lhs.eventType == rhs.eventType && lhs.severity == rhs.severity && lhs.userID == rhs.userID && lhs.details == rhs.details
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(eventType)
        hasher.combine(severity)
        hasher.combine(userID)
        hasher.combine(details)
    }
}

/// Filters for querying the audit log; `nil` matches everything.
public struct AuditFilter: Sendable, Hashable {
    /// Only events of this type.
    public var eventType: AuditEventType?
    /// Only events about this agent.
    public var userID: UUID?
    /// Only events at or after this time.
    public var since: Date?
    /// Only events strictly before this time.
    public var until: Date?
    /// Only events whose `details.result` is this value (`ALLOW` or `DENY`).
    public var result: String?

    public init(eventType: AuditEventType? = nil, userID: UUID? = nil, since: Date? = nil, until: Date? = nil, result: String? = nil) {
        self.eventType = eventType
        self.userID = userID
        self.since = since
        self.until = until
        self.result = result
    }

    /// Whether an event passes the filter.
    public func matches(_ event: AuditEvent) -> Bool {
        if let eventType, event.eventType != eventType { return false }
        if let userID, event.userID != userID { return false }
        if let since, event.createdAt.ms < since.ms { return false }
        if let until, event.createdAt.ms >= until.ms { return false }
        if let result, event.details["result"] != result { return false }
        return true
    }
}
