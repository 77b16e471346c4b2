import Foundation
import TMWSRBAC
import Testing

@Suite struct PolicyTests {
    /// The spec's matrix, written out independently of `Role`.
    static let matrix: [Role: Set<String>] = [
        .viewer: ["license:validate", "license:read", "license:usage:read"],
        .editor: ["license:validate", "license:read", "license:usage:read", "license:generate"],
        .admin: [
            "license:validate", "license:read", "license:usage:read", "license:generate", "license:revoke",
            "license:admin", "agent:update:tier", "system:audit",
        ],
    ]

    struct Cell: Sendable, CustomTestStringConvertible {
        var role: Role
        var permission: Permission
        var owner: Bool
        var sameNamespace: Bool
        var testDescription: String { "\(role) \(permission) owner=\(owner) sameNS=\(sameNamespace)" }
    }

    static let cells: [Cell] = Role.allCases.flatMap { role in
        Permission.allCases.flatMap { permission in
            [true, false].flatMap { owner in [true, false].map { Cell(role: role, permission: permission, owner: owner, sameNamespace: $0) } }
        }
    }

    @Test(arguments: cells)
    func matrixCell(_ cell: Cell) {
        let me = Subject(id: UUID(), role: cell.role.rawValue, namespace: "home")
        let resource = Resource(ownerID: cell.owner ? me.id : UUID(), namespace: cell.sameNamespace ? "home" : "elsewhere")
        let decision = Policy.decide(subject: me, operation: cell.permission.rawValue, resource: resource)

        let inMatrix = Self.matrix[cell.role]!.contains(cell.permission.rawValue)
        let expected: Bool
        if !inMatrix {
            expected = false
        } else if cell.role == .admin || cell.permission == .licenseValidate {
            expected = true
        } else if cell.permission == .licenseGenerate {
            expected = cell.sameNamespace
        } else {  // license:read, license:usage:read
            expected = cell.owner && cell.sameNamespace
        }
        #expect(decision.isAllowed == expected)
        if !inMatrix { #expect(decision.reason == .roleLacksPermission) }
        if inMatrix && !expected {
            #expect(decision.reason == (cell.sameNamespace ? .notOwner : .crossNamespace))
        }
        #expect(cell.role.permissions == Set(Self.matrix[cell.role]!.compactMap(Permission.init(parsing:))))
    }

    @Test func parsingIsStrict() {
        #expect(Role(parsing: "admin") == .admin)
        for text in ["Admin", "ADMIN", "admin ", "", "root", "superuser", "viewer\0"] {
            #expect(Role(parsing: text) == nil, "\(text)")
        }
        #expect(Permission(parsing: "license:read") == .licenseRead)
        for text in ["license:READ", "license:*", "*", "license", "license:read:extra", ""] {
            #expect(Permission(parsing: text) == nil, "\(text)")
        }
        #expect(Permission.allCases.count == 8)
    }

    // The spec suite's scenarios that need no storage.
    @Test func specScenarios() {
        let viewer = Subject(id: UUID(), role: "viewer", namespace: "ns")
        let editor = Subject(id: UUID(), role: "editor", namespace: "ns")
        let admin = Subject(id: UUID(), role: "admin", namespace: "ns")
        let editorsLicense = Resource(ownerID: editor.id, namespace: "ns")

        #expect(Policy.decide(subject: viewer, permission: .licenseValidate, resource: nil).isAllowed)
        #expect(Policy.decide(subject: viewer, permission: .licenseGenerate, resource: nil) == .deny(.roleLacksPermission))
        #expect(Policy.decide(subject: editor, permission: .licenseGenerate, resource: nil).isAllowed)
        #expect(Policy.decide(subject: editor, permission: .licenseRevoke, resource: editorsLicense) == .deny(.roleLacksPermission))
        #expect(Policy.decide(subject: admin, permission: .licenseRevoke, resource: editorsLicense) == .allow(.adminOverride))
        for permission in Permission.allCases {
            #expect(Policy.decide(subject: admin, permission: permission, resource: editorsLicense).isAllowed)
        }
        #expect(Policy.decide(subject: admin, operation: "license:delete_everything", resource: nil) == .deny(.unknownOperation))
        #expect(
            Policy.decide(subject: Subject(id: UUID(), role: "superuser", namespace: "ns"), permission: .licenseValidate, resource: nil) == .deny(.unknownRole))
        #expect(Policy.decide(subject: viewer, permission: .licenseRead, resource: Resource(ownerID: viewer.id, namespace: "ns")) == .allow(.owner))
        #expect(Policy.decide(subject: viewer, permission: .licenseRead, resource: editorsLicense) == .deny(.notOwner))
        #expect(Policy.decide(subject: admin, permission: .licenseRead, resource: Resource(ownerID: UUID(), namespace: "other")).isAllowed)
        #expect(Policy.decide(subject: editor, permission: .licenseGenerate, resource: Resource(ownerID: nil, namespace: "ns")).isAllowed)
        #expect(Policy.decide(subject: nil, permission: .licenseValidate, resource: nil) == .deny(.agentNotFound))
        #expect(Policy.decide(subject: viewer, permission: .licenseRead, resource: nil) == .deny(.resourceRequired))
    }

    @Test(arguments: ["suspended", "deleted", "", "ACTIVE"])
    func inactiveAgentsAreDenied(_ status: String) {
        let admin = Subject(id: UUID(), role: "admin", namespace: "ns", status: status)
        for permission in Permission.allCases {
            #expect(Policy.decide(subject: admin, permission: permission, resource: nil) == .deny(.agentSuspended))
        }
    }

    @Test func unknownOperationDeniedBeforeRole() {
        let unknownRole = Subject(id: UUID(), role: "wizard", namespace: "ns")
        #expect(Policy.decide(subject: unknownRole, operation: "license:fly", resource: nil) == .deny(.unknownOperation))
        #expect(Policy.decide(subject: unknownRole, operation: "license:read", resource: nil) == .deny(.unknownRole))
    }
}
