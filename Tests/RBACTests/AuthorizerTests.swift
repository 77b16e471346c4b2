import Foundation
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite struct AuthorizerTests {
    struct Fixture {
        let handle: TemporaryStore
        var store: any Store { handle.store }
        var authorizer: Authorizer { Authorizer(store: store) }

        init(_ backend: StoreBackend) async throws {
            handle = try await backend.makeStore()
        }

        func agent(_ name: String, role: String, namespace: String = "ns") async throws -> Principal {
            let agent = try await store.createAgent(NewAgent(name: name, namespace: namespace, role: role))
            return Principal(agentID: agent.id)
        }

        func auditRows() async throws -> [AuditEvent] {
            try await store.auditEvents(matching: AuditFilter(eventType: "permission_check"), page: PageRequest(limit: 1000)).items
        }
    }

    /// Permission-check events are built once per operation, role and decision and reused; each
    /// row still names its own user, and operations given as text (unbounded) cycle through the
    /// reuse table without changing what is written.
    @Test func reusedCheckEventsStayExact() async throws {
        let f = try await Fixture(.sqliteFile)
        let viewer = try await f.agent("v", role: "viewer")
        let other = try await f.agent("w", role: "viewer")
        _ = try await f.authorizer.check(.licenseValidate, for: viewer)
        _ = try await f.authorizer.check(.licenseValidate, for: other)
        let operations = (0..<600).map { "custom:op-\($0)" }
        for operation in operations { _ = try await f.authorizer.check(operation, for: viewer) }
        _ = try await f.authorizer.check(.licenseValidate, for: viewer)
        let rows = try await f.auditRows().reversed().map { $0 }
        #expect(rows.count == 603)
        #expect(rows[0].userID == viewer.agentID && rows[1].userID == other.agentID)
        #expect(rows[0].details == rows[1].details)
        for (row, operation) in zip(rows[2..<602], operations) {
            #expect(row.details == ["operation": operation, "role": "viewer", "result": "DENY", "reason": "unknown_operation"])
            #expect(row.severity == .warning)
        }
        #expect(rows[602].details == ["operation": "license:validate", "role": "viewer", "result": "ALLOW", "reason": "role_grants_permission"])
        #expect(rows[602].severity == .info)

        // Composed and decomposed text are equal to Swift, not to the audit log: each row keeps its bytes.
        let composed = "caf\u{E9}:read", decomposed = "cafe\u{301}:read"
        _ = try await f.authorizer.check(composed, for: viewer)
        _ = try await f.authorizer.check(decomposed, for: viewer)
        let latest = try await f.auditRows().prefix(2).reversed().map { Array(($0.details["operation"] ?? "").utf8) }
        #expect(latest == [Array(composed.utf8), Array(decomposed.utf8)])
    }

    @Test(arguments: StoreBackend.allCases)
    func allowAndDenyAreBothAudited(_ backend: StoreBackend) async throws {
        let f = try await Fixture(backend)
        let viewer = try await f.agent("v", role: "viewer")
        let allowed = try await f.authorizer.check(.licenseValidate, for: viewer)
        #expect(allowed.decision.isAllowed)
        #expect(allowed.agent?.id == viewer.agentID)
        let denied = try await f.authorizer.check(.licenseGenerate, for: viewer)
        #expect(denied.decision == .deny(.roleLacksPermission))
        let rows = try await f.auditRows()
        #expect(rows.count == 2)
        #expect(rows[0].details == ["operation": "license:generate", "role": "viewer", "result": "DENY", "reason": "role_lacks_permission"])
        #expect(rows[1].details == ["operation": "license:validate", "role": "viewer", "result": "ALLOW", "reason": "role_grants_permission"])
        #expect(rows.allSatisfy { $0.userID == viewer.agentID })
    }

    @Test(arguments: StoreBackend.allCases)
    func requireThrowsPermissionDeniedWithReason(_ backend: StoreBackend) async throws {
        let f = try await Fixture(backend)
        let editor = try await f.agent("e", role: "editor")
        await #expect(throws: AccessError(.permissionDenied, "")) { try await f.authorizer.require(.licenseRevoke, for: editor) }
        do {
            try await f.authorizer.require(.licenseRead, for: editor, on: Resource(ownerID: UUID(), namespace: "other"))
        } catch {
            #expect(error.reason == .crossNamespace)
        }
        let agent = try await f.authorizer.require(.licenseGenerate, for: editor)
        #expect(agent.role == "editor")
    }

    @Test(arguments: StoreBackend.allCases)
    func nonexistentUnknownRoleAndUnknownOperationAreDeniedAndAudited(_ backend: StoreBackend) async throws {
        let f = try await Fixture(backend)
        let ghost = Principal(agentID: UUID())
        #expect(try await f.authorizer.check(.licenseValidate, for: ghost).decision == .deny(.agentNotFound))
        let odd = try await f.agent("odd", role: "superuser")
        #expect(try await f.authorizer.check(.licenseValidate, for: odd).decision == .deny(.unknownRole))
        let admin = try await f.agent("a", role: "admin")
        #expect(try await f.authorizer.check("license:nuke", for: admin).decision == .deny(.unknownOperation))
        let rows = try await f.auditRows()
        #expect(rows.map { $0.details["reason"] } == ["unknown_operation", "unknown_role", "agent_not_found"])
        #expect(rows.allSatisfy { $0.details["result"] == "DENY" })
        #expect(rows.last?.userID == ghost.agentID)
        #expect(rows[1].details["role"] == "superuser")
    }

    @Test(arguments: StoreBackend.allCases)
    func roleChangesAndSuspensionsApplyOnTheNextCheck(_ backend: StoreBackend) async throws {
        let f = try await Fixture(backend)
        let principal = try await f.agent("p", role: "viewer")
        #expect(try await f.authorizer.check(.licenseGenerate, for: principal).decision.isAllowed == false)
        _ = try await f.store.updateAgent(id: principal.agentID, AgentChange(role: "editor"))
        #expect(try await f.authorizer.check(.licenseGenerate, for: principal).decision.isAllowed)
        _ = try await f.store.updateAgent(id: principal.agentID, AgentChange(role: "admin"))
        #expect(try await f.authorizer.check(.systemAudit, for: principal).decision.isAllowed)
        _ = try await f.store.updateAgent(id: principal.agentID, AgentChange(status: .suspended))
        #expect(try await f.authorizer.check(.licenseValidate, for: principal).decision == .deny(.agentSuspended))
        _ = try await f.store.updateAgent(id: principal.agentID, AgentChange(role: "viewer", status: .active))
        #expect(try await f.authorizer.check(.systemAudit, for: principal).decision == .deny(.roleLacksPermission))
    }

    /// Storage that fails → DENY and an error, for every operation, never ALLOW.
    @Test(arguments: StoreBackend.allCases)
    func failingStorageDeniesEveryOperation(_ backend: StoreBackend) async throws {
        let f = try await Fixture(backend)
        let faulty = InterceptingStore(f.store)
        let admin = try await f.agent("a", role: "admin")
        let authorizer = Authorizer(store: faulty)
        for fault in [InterceptingStore.Fault.unavailable, .diskFull, .busy, .corrupt] {
            faulty.fail([.checkAgent], with: fault)
            for permission in Permission.allCases {
                await #expect(throws: AccessError(.unavailable, "")) { try await authorizer.check(permission, for: admin) }
                await #expect(throws: AccessError(.unavailable, "")) { try await authorizer.require(permission, for: admin) }
            }
        }
        // The DENY rows were still written where storage allowed it.
        let rows = try await f.auditRows()
        #expect(rows.count == 4 * 8 * 2)
        #expect(rows.allSatisfy { $0.details["result"] == "DENY" && $0.details["reason"] == "storage_unavailable" })
        // Nothing can be written at all: still an error, never ALLOW.
        faulty.failAll()
        await #expect(throws: AccessError(.unavailable, "")) { try await authorizer.check(.licenseValidate, for: admin) }
        faulty.heal()
        #expect(try await authorizer.check(.licenseValidate, for: admin).decision.isAllowed)
    }

    /// Concurrent role changes against checks: each check saw the old role or the new one, and its
    /// audit row records the role its decision used.
    @Test(arguments: StoreBackend.allCases)
    func concurrentRoleChangesNeverMix(_ backend: StoreBackend) async throws {
        let f = try await Fixture(backend)
        let principal = try await f.agent("flip", role: "viewer")
        let authorizer = f.authorizer
        let store = f.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for index in 0..<100 {
                    _ = try await store.updateAgent(id: principal.agentID, AgentChange(role: index.isMultiple(of: 2) ? "editor" : "viewer"))
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<50 { _ = try await authorizer.check(.licenseGenerate, for: principal) }
                }
            }
            try await group.waitForAll()
        }
        let rows = try await f.auditRows()
        #expect(rows.count == 200)
        for row in rows {
            let expected = row.details["role"] == "editor" ? "ALLOW" : "DENY"
            #expect(["editor", "viewer"].contains(row.details["role"]))
            #expect(row.details["result"] == expected)
        }
    }
}
