import Foundation

/// The outcome of a permission check: allow or deny, with a stable reason code.
public struct AccessDecision: Sendable, Hashable, CustomStringConvertible {
    /// Whether the operation may proceed.
    public let isAllowed: Bool
    /// Why, as a stable code recorded in the audit row.
    public let reason: AccessReason

    /// An allowing decision.
    public static func allow(_ reason: AccessReason) -> AccessDecision { AccessDecision(isAllowed: true, reason: reason) }
    /// A denying decision.
    public static func deny(_ reason: AccessReason) -> AccessDecision { AccessDecision(isAllowed: false, reason: reason) }

    /// `ALLOW` or `DENY`, as written to the audit log's `details.result`.
    public var result: String { isAllowed ? "ALLOW" : "DENY" }

    public var description: String { "\(result) (\(reason))" }
}

/// A stable reason code for an ``AccessDecision``. New codes may be added.
public struct AccessReason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    // Allowing reasons.
    /// The role grants the permission and no ownership rule applies.
    public static let roleGrantsPermission = AccessReason(rawValue: "role_grants_permission")
    /// The caller owns the resource.
    public static let owner = AccessReason(rawValue: "owner")
    /// The caller is an admin, who may act on any resource in any namespace.
    public static let adminOverride = AccessReason(rawValue: "admin_override")

    // Denying reasons.
    /// The role does not include the permission.
    public static let roleLacksPermission = AccessReason(rawValue: "role_lacks_permission")
    /// The resource belongs to another agent.
    public static let notOwner = AccessReason(rawValue: "not_owner")
    /// The resource lives in another namespace.
    public static let crossNamespace = AccessReason(rawValue: "cross_namespace")
    /// The agent's stored role is not one the policy knows.
    public static let unknownRole = AccessReason(rawValue: "unknown_role")
    /// The operation is not one the policy knows.
    public static let unknownOperation = AccessReason(rawValue: "unknown_operation")
    /// No agent has the caller's id.
    public static let agentNotFound = AccessReason(rawValue: "agent_not_found")
    /// The agent is suspended (or has any status other than active).
    public static let agentSuspended = AccessReason(rawValue: "agent_suspended")
    /// The operation needs a resource (owner and namespace) and none was given.
    public static let resourceRequired = AccessReason(rawValue: "resource_required")
    /// Storage failed during the check.
    public static let storageUnavailable = AccessReason(rawValue: "storage_unavailable")
    /// What a caller is told when a resource it named is missing or is not its own (``notOwner``,
    /// ``crossNamespace``, or ``resourceRequired`` because nothing was found): one answer for
    /// all three, so that a denial does not reveal whether the resource exists. Never a policy
    /// decision itself; audit rows keep the policy's own reason.
    public static let notVisible = AccessReason(rawValue: "not_visible")

    public var description: String { rawValue }
}

/// The caller, as the policy sees it: values read from storage, never claimed by the caller.
public struct Subject: Sendable, Hashable {
    public var id: UUID
    /// The stored role text; parsed by the policy.
    public var role: String
    public var namespace: String
    /// The stored status text; anything but `active` is denied.
    public var status: String

    public init(id: UUID, role: String, namespace: String, status: String = "active") {
        self.id = id
        self.role = role
        self.namespace = namespace
        self.status = status
    }
}

/// What an operation touches: the owning agent and the namespace of a license (or, for
/// generation, the namespace the new license would live in).
public struct Resource: Sendable, Hashable {
    public var ownerID: UUID?
    public var namespace: String

    public init(ownerID: UUID?, namespace: String) {
        self.ownerID = ownerID
        self.namespace = namespace
    }
}
