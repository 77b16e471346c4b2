/// The type of an audit event (`security_audit_logs.event_type`).
///
/// The events TMWS writes are the static members; the column is free text, so a value read from
/// a database that TMWS does not know (written by another tool, or by a later version) is kept as
/// it is. A string literal is an event type, so filters and comparisons read naturally:
///
/// ```swift
/// let denials = AuditFilter(eventType: .permissionCheck, result: "DENY")
/// #expect(event.eventType == .licenseGenerated)
/// ```
public struct AuditEventType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Coded as the bare string, as the column holds it.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    // MARK: Access control

    /// A permission check, allowed or denied (details `operation`, `role`, `result`, `reason`).
    public static let permissionCheck = AuditEventType("permission_check")

    // MARK: Licenses

    /// A license was generated (details `license_id`, `tier`, `namespace`, `expires_at`).
    public static let licenseGenerated = AuditEventType("license_generated")
    /// A license was revoked, or revoked again (details `license_id`, `reason`, `already_revoked`).
    public static let licenseRevoked = AuditEventType("license_revoked")

    // MARK: Agents and API keys

    /// An agent was created (details `agent`, `agent_id`, `namespace`, `role`, `tier`).
    public static let agentCreated = AuditEventType("agent_created")
    /// An agent's role changed (details `agent`, `agent_id`, `from`, `to`).
    public static let roleChanged = AuditEventType("role_changed")
    /// An agent's tier changed (details `agent`, `agent_id`, `from`, `to`).
    public static let tierChanged = AuditEventType("tier_changed")
    /// An agent was suspended or resumed (details `agent`, `agent_id`, `from`, `to`).
    public static let statusChanged = AuditEventType("status_changed")
    /// An API key was issued (details `agent`, `agent_id`, `prefix`).
    public static let apiKeyCreated = AuditEventType("api_key_created")
    /// An API key was revoked (details `agent`, `agent_id`, `prefix`).
    public static let apiKeyRevoked = AuditEventType("api_key_revoked")

    /// Every event type TMWS itself writes.
    public static let written: [AuditEventType] = [
        .permissionCheck, .licenseGenerated, .licenseRevoked, .agentCreated, .roleChanged, .tierChanged, .statusChanged,
        .apiKeyCreated, .apiKeyRevoked, .signingKeyCreated, .signingKeyRotated, .signingKeyRetired, .signingKeyRemoved,
    ]

    // MARK: Signing keys

    /// A license-token signing key was created (details `kid`).
    public static let signingKeyCreated = AuditEventType("signing_key_created")
    /// The active signing key was replaced (details `kid`, `retired_kid`).
    public static let signingKeyRotated = AuditEventType("signing_key_rotated")
    /// A signing key was retired (details `kid`).
    public static let signingKeyRetired = AuditEventType("signing_key_retired")
    /// A retired signing key was removed (details `kid`).
    public static let signingKeyRemoved = AuditEventType("signing_key_removed")
}
