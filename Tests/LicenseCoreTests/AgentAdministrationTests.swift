import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// Role and status changes through the service: audited, and effective on the very next call.
@Suite struct AgentAdministrationTests {
    @Test(arguments: StoreBackend.allCases)
    func roleChangesApplyOnTheNextCall(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let agent = try await f.agent("worker", role: .viewer)
        let denied = LicenseError(.permissionDenied, "")
        await #expect(throws: denied) { try await f.service.generateLicenseKey(as: agent, tier: .pro) }

        let promoted = try await f.agents.setAgentRole(as: admin, agentNamed: "worker", to: .editor)
        #expect(promoted.role == "editor")
        let generated = try await f.service.generateLicenseKey(as: agent, tier: .pro)
        await #expect(throws: denied) { try await f.service.revokeLicenseKey(as: agent, id: generated.license.id) }

        _ = try await f.agents.setAgentRole(as: admin, agentNamed: "worker", to: .admin)
        #expect(try await f.audit.events(as: agent, limit: 1).items.count == 1)

        _ = try await f.agents.setAgentRole(as: admin, agentNamed: "worker", to: .viewer)
        await #expect(throws: denied) { try await f.service.generateLicenseKey(as: agent, tier: .pro) }
        await #expect(throws: denied) { try await f.audit.events(as: agent) }
        // Still the owner: reading its own license stays allowed.
        #expect(try await f.service.licenseInfo(as: agent, id: generated.license.id).status == .active)

        let events = try await f.auditEvents("role_changed")
        #expect(events.map { [$0.details["from"], $0.details["to"]] } == [["admin", "viewer"], ["editor", "admin"], ["viewer", "editor"]])
        #expect(events.allSatisfy { $0.userID == admin.agentID && $0.details["agent"] == "worker" })
        #expect(events.allSatisfy { $0.details["agent_id"] == agent.agentID.lower })
        #expect(try await f.storedAgent(agent)?.role == "viewer")
    }

    /// `follow` checks the permission again before every poll: demoting (or suspending) the
    /// follower ends the stream with `permissionDenied` and an audited DENY, and nothing appended
    /// after the demotion reaches it. A re-check that still allows writes no row (#15, item 15).
    @Test(arguments: [StoreBackend.memory, .sqliteFile], [false, true])
    func followingTheAuditLogEndsWhenTheFollowerLosesItsRole(_ backend: StoreBackend, suspend: Bool) async throws {
        let f = try await ServiceFixture(backend)
        let root = try await f.agent("root", role: .admin)
        let follower = try await f.agent("follower", role: .admin)
        let stream = try await f.audit.follow(as: follower, pollInterval: .milliseconds(5))
        let collector = Task { () -> (events: [String], error: (any Error)?) in
            var seen: [String] = []
            do {
                for try await event in stream { seen.append(event.eventType.rawValue) }
                return (seen, nil)
            } catch {
                return (seen, error)
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            collector.cancel()
        }
        defer { watchdog.cancel() }
        _ = try await f.store.appendAuditEvent(NewAuditEvent(eventType: "before", userID: nil))
        try await Task.sleep(for: .milliseconds(60))
        func checks() async throws -> [AuditEvent] {
            try await f.auditEvents("permission_check").filter { $0.userID == follower.agentID }
        }
        #expect(try await checks().count == 1, "polls that are still allowed write no rows")

        if suspend {
            _ = try await f.agents.setAgentStatus(as: root, agentNamed: "follower", to: .suspended)
        } else {
            _ = try await f.agents.setAgentRole(as: root, agentNamed: "follower", to: .viewer)
        }
        _ = try await f.store.appendAuditEvent(NewAuditEvent(eventType: "after", userID: nil))
        let (events, error) = await collector.value
        #expect((error as? LicenseError)?.code == .permissionDenied, "\(String(describing: error))")
        #expect(events.contains("before"))
        #expect(!events.contains("after"), "nothing appended after the demotion is yielded")
        let denial = try #require(try await checks().first)
        #expect(denial.details["result"] == "DENY" && denial.details["operation"] == "system:audit")
        #expect(denial.details["reason"] == (suspend ? "agent_suspended" : "role_lacks_permission"))
    }

    @Test(arguments: StoreBackend.allCases)
    func suspensionAppliesOnTheNextCall(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor)
        #expect(try await f.service.validateLicenseKey(as: editor, key: generated.key).valid)

        let suspended = try await f.agents.setAgentStatus(as: admin, agentNamed: "editor", to: .suspended)
        #expect(suspended.status == .suspended)
        let denied = LicenseError(.permissionDenied, "")
        let error = await #expect(throws: denied) { try await f.service.validateLicenseKey(as: editor, key: generated.key) }
        #expect(error?.reason == .agentSuspended)
        await #expect(throws: denied) { try await f.service.generateLicenseKey(as: editor, tier: .pro) }
        await #expect(throws: denied) { try await f.service.licenseInfo(as: editor, id: generated.license.id) }
        await #expect(throws: denied) { try await f.service.usageHistory(as: editor, licenseID: generated.license.id) }
        await #expect(throws: denied) { try await f.service.listLicenses(as: editor) }
        // The suspended agent's licenses keep working for others.
        #expect(try await f.service.validateLicenseKey(as: admin, key: generated.key).valid)

        _ = try await f.agents.setAgentStatus(as: admin, agentNamed: "editor", to: .active)
        #expect(try await f.service.validateLicenseKey(as: editor, key: generated.key).valid)
        #expect(try await f.license(generated.license.id)?.validationCount == 3)

        let events = try await f.auditEvents("status_changed")
        #expect(events.map { [$0.details["from"], $0.details["to"]] } == [["suspended", "active"], ["active", "suspended"]])
        #expect(events.allSatisfy { $0.userID == admin.agentID })
    }

    /// A suspended admin loses everything at once, including the power to undo its suspension.
    @Test(arguments: StoreBackend.allCases)
    func suspendedAdminIsDenied(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let root = try await f.agent("root", role: .admin)
        let admin = try await f.agent("admin", role: .admin)
        _ = try await f.agents.setAgentStatus(as: root, agentNamed: "admin", to: .suspended)
        let denied = LicenseError(.permissionDenied, "")
        await #expect(throws: denied) { try await f.agents.setAgentStatus(as: admin, agentNamed: "admin", to: .active) }
        await #expect(throws: denied) { try await f.agents.setAgentRole(as: admin, agentNamed: "root", to: .viewer) }
        await #expect(throws: denied) { try await f.audit.events(as: admin) }
        #expect(try await f.store.agent(named: "root")?.role == "admin")
        #expect(try await f.storedAgent(admin)?.status == .suspended)
    }

    /// Names and namespaces that print like another one are refused with the code point at fault;
    /// agents stored before the rule (any text) keep working, found by the name as typed or its NFC
    /// form (#15, item 14).
    @Test func lookAlikeNamesAreRefusedAndOldOnesKeepWorking() async throws {
        let f = try await ServiceFixture(.sqliteFile)
        let admin = try await f.agent("admin", role: .admin)
        let refused: [(String, String)] = [
            ("\u{430}dmin", "U+0430"),  // Cyrillic а
            ("\u{FF41}dmin", "U+FF41"),  // fullwidth ａ
            ("admin\u{2800}", "U+2800"),  // a blank braille cell
            ("cafe\u{301}", "U+0301"),  // café, decomposed
            ("caf\u{E9}", "U+00E9"),  // café, composed
            ("admin ", "U+0020"),
            ("-rf", "U+002D"),  // would read as an option
            ("a\u{200B}b", "U+200B"),  // zero-width space
        ]
        for (name, code) in refused {
            let error = await #expect(throws: LicenseError(.invalidArgument, "")) {
                try await f.agents.createAgent(as: admin, named: name, namespace: "default")
            }
            #expect(error?.message.contains(code) == true, "\(name.debugDescription): \(error?.message ?? "")")
            await #expect(throws: LicenseError(.invalidArgument, "")) {
                try await f.agents.createAgent(as: admin, named: "ok-\(code)", namespace: name)
            }
        }
        for name in ["ci", "build.bot-2", "ops_team", "svc@acme", "A1"] {
            #expect(try await f.agents.createAgent(as: admin, named: name, namespace: "ns.\(name.count)").name == name)
        }
        await #expect(throws: LicenseError(.invalidArgument, "")) {
            try await f.agents.createAgent(as: admin, named: String(repeating: "a", count: 129), namespace: "default")
        }

        // Stored before the rule: still found, as typed and in its NFC form.
        let legacy = try await f.store.createAgent(NewAgent(name: "caf\u{E9}", namespace: "legacy namespace", role: "viewer"))
        #expect(try await f.agents.agentDetails(as: admin, named: "caf\u{E9}").agent.id == legacy.id)
        #expect(try await f.agents.agentDetails(as: admin, named: "cafe\u{301}").agent.id == legacy.id)
        #expect(try await f.agents.setAgentRole(as: admin, agentNamed: "cafe\u{301}", to: .editor).role == "editor")
    }

    @Test(arguments: StoreBackend.allCases)
    func invalidTargetsAreRefused(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        _ = try await f.agent("target", role: .viewer)
        await #expect(throws: LicenseError(.notFound, "")) { try await f.agents.setAgentRole(as: admin, agentNamed: "ghost", to: .editor) }
        await #expect(throws: LicenseError(.notFound, "")) {
            try await f.agents.setAgentStatus(as: admin, agentNamed: "ghost", to: .suspended)
        }
        await #expect(throws: LicenseError(.invalidArgument, "")) {
            try await f.agents.setAgentStatus(as: admin, agentNamed: "target", to: AgentStatus(rawValue: "deleted"))
        }
        #expect(try await f.store.agent(named: "target")?.status == .active)
        // An unknown principal (no such agent) is denied, not an error of another kind.
        let ghost = Principal(agentID: UUID())
        let error = await #expect(throws: LicenseError(.permissionDenied, "")) {
            try await f.service.validateLicenseKey(as: ghost, key: "TMWS-PRO-x")
        }
        #expect(error?.reason == .agentNotFound)
        #expect(try await f.auditEvents("role_changed").isEmpty)
        #expect(try await f.auditEvents("status_changed").isEmpty)
    }
}
