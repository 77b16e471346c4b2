/// A role in the permission matrix. Roles are stored as text; ``init(parsing:)`` is the only way
/// from stored text to a role, and an unknown string yields no role (which every check denies).
public enum Role: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// May validate keys and read its own licenses and their usage.
    case viewer
    /// A viewer that may also generate licenses in its own namespace.
    case editor
    /// Every permission, in every namespace.
    case admin

    /// Parses stored role text. Exact, case-sensitive: `"Admin"` or `"admin "` is no role.
    public init?(parsing text: String) {
        self.init(rawValue: text)
    }

    /// The role's permissions, exactly as the spec's matrix gives them.
    public var permissions: Set<Permission> { Set(Permission.allCases.filter(grants)) }

    /// Whether the role grants a permission (before ownership and namespace rules): viewer has
    /// the three read permissions, editor adds `license:generate`, admin has all eight.
    public func grants(_ permission: Permission) -> Bool {
        switch self {
        case .admin: true
        case .editor: permission != .licenseRevoke && permission != .licenseAdmin && permission != .agentUpdateTier && permission != .systemAudit
        case .viewer: permission == .licenseValidate || permission == .licenseRead || permission == .licenseUsageRead
        }
    }

    public var description: String { rawValue }
}

/// One of the eight operations the policy knows. An unknown operation string yields no
/// permission, and a check for it is denied even to an admin.
public enum Permission: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case licenseValidate = "license:validate"
    case licenseRead = "license:read"
    case licenseUsageRead = "license:usage:read"
    case licenseGenerate = "license:generate"
    case licenseRevoke = "license:revoke"
    case licenseAdmin = "license:admin"
    case agentUpdateTier = "agent:update:tier"
    case systemAudit = "system:audit"

    /// Parses an operation string such as `license:read`. Exact and case-sensitive.
    public init?(parsing text: String) {
        self.init(rawValue: text)
    }

    /// Whether a non-admin needs to own the resource (V-RBAC-3).
    public var requiresOwnership: Bool { self == .licenseRead || self == .licenseUsageRead }

    public var description: String { rawValue }
}
