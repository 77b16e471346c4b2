/// The RBAC policy: a pure, synchronous decision over values.
///
/// Rules, in order (the first that applies decides):
/// 1. no agent → `agent_not_found`; a status other than `active` → `agent_suspended`;
/// 2. an unknown operation → `unknown_operation` (even for an admin); an unknown role → `unknown_role`;
/// 3. the role's permissions (the spec's matrix) → else `role_lacks_permission`;
/// 4. an admin may act on any resource in any namespace (`admin_override`);
/// 5. `license:read` and `license:usage:read` need a resource in the caller's namespace
///    (`cross_namespace`) that the caller owns (`not_owner`) — V-RBAC-3;
/// 6. `license:generate` is allowed only in the caller's own namespace (`cross_namespace`);
/// 7. `license:validate` needs neither ownership nor namespace: holding the key is the authority.
///
/// ```swift
/// let decision = Policy.decide(subject: viewer, operation: "license:read",
///                              resource: Resource(ownerID: viewer.id, namespace: viewer.namespace))
/// // decision.isAllowed == true, decision.reason == .owner
/// ```
public enum Policy {
    /// Decides an operation given as text (as it arrives from a tool or the audit log).
    public static func decide(subject: Subject?, operation: String, resource: Resource?) -> AccessDecision {
        guard let subject else { return .deny(.agentNotFound) }
        guard subject.status == "active" else { return .deny(.agentSuspended) }
        guard let permission = Permission(parsing: operation) else { return .deny(.unknownOperation) }
        return decide(subject: subject, permission: permission, resource: resource)
    }

    /// Decides a known permission.
    public static func decide(subject: Subject?, permission: Permission, resource: Resource?) -> AccessDecision {
        guard let subject else { return .deny(.agentNotFound) }
        guard subject.status == "active" else { return .deny(.agentSuspended) }
        guard let role = Role(parsing: subject.role) else { return .deny(.unknownRole) }
        guard role.grants(permission) else { return .deny(.roleLacksPermission) }
        if role == .admin {
            guard let resource else { return .allow(.roleGrantsPermission) }
            let ownsIt = resource.ownerID == subject.id && resource.namespace == subject.namespace
            return .allow(ownsIt ? .owner : .adminOverride)
        }
        switch permission {
        case .licenseRead, .licenseUsageRead:
            guard let resource else { return .deny(.resourceRequired) }
            guard resource.namespace == subject.namespace else { return .deny(.crossNamespace) }
            guard resource.ownerID == subject.id else { return .deny(.notOwner) }
            return .allow(.owner)
        case .licenseGenerate:
            if let resource, resource.namespace != subject.namespace { return .deny(.crossNamespace) }
            return .allow(.roleGrantsPermission)
        default:
            return .allow(.roleGrantsPermission)
        }
    }
}
