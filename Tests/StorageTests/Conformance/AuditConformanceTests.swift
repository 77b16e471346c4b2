import Foundation
import TMWSStorage
import TMWSTestSupport
import Testing

@Suite("Store conformance: audit log")
struct AuditConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func appendAndQueryNewestFirst(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let user = UUID()
        let first = try await f.store.appendAuditEvent(
            NewAuditEvent(eventType: "permission_check", userID: user, details: ["operation": "license:read", "result": "ALLOW"]))
        f.clock.advance(by: 1)
        let second = try await f.store.appendAuditEvent(
            NewAuditEvent(eventType: "license_generated", severity: .warning, userID: nil, details: ["quote": "a \"b\"\n\u{1}"]))
        #expect(first.createdAt < second.createdAt)
        #expect(first.id < second.id)
        let page = try await f.store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 10))
        #expect(page.items == [second, first])
        #expect(page.nextCursor == nil)
        #expect(page.items[0].details["quote"] == "a \"b\"\n\u{1}")
        #expect(page.items[0].severity == .warning)
    }

    @Test(arguments: StoreBackend.allCases)
    func filtersAndCounts(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let alice = UUID(), bob = UUID()
        let start = f.clock.date
        for index in 0..<12 {
            let result = index % 3 == 0 ? "DENY" : "ALLOW"
            _ = try await f.store.appendAuditEvent(
                NewAuditEvent(
                    eventType: index % 4 == 0 ? "license_generated" : "permission_check",
                    userID: index.isMultiple(of: 2) ? alice : bob, details: ["result": result]))
            f.clock.advance(by: 60)
        }
        func ids(_ filter: AuditFilter) async throws -> Int {
            let listed = try await f.collect(limit: 5) { try await f.store.auditEvents(matching: filter, page: $0) }
            let counted = try await f.store.countAuditEvents(matching: filter)
            #expect(listed.count == counted)
            #expect(listed.allSatisfy(filter.matches))
            return counted
        }
        #expect(try await ids(AuditFilter()) == 12)
        #expect(try await ids(AuditFilter(eventType: "license_generated")) == 3)
        #expect(try await ids(AuditFilter(userID: alice)) == 6)
        #expect(try await ids(AuditFilter(result: "DENY")) == 4)
        #expect(try await ids(AuditFilter(eventType: "permission_check", result: "DENY")) == 3)
        // A window: events 3…6 (since inclusive, until exclusive).
        #expect(try await ids(AuditFilter(since: start + 180, until: start + 420)) == 4)
        #expect(try await ids(AuditFilter(userID: UUID())) == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func paginationWithTiesInTime(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        // 25 events in the same millisecond, then 5 later: pages must not skip or repeat any.
        var appended: [AuditEvent] = []
        for index in 0..<30 {
            if index == 25 { f.clock.advance(by: 0.001) }
            appended.append(try await f.store.appendAuditEvent(NewAuditEvent(eventType: "e", userID: nil, details: ["n": "\(index)"])))
        }
        for limit in [1, 4, 7, 25, 30, 31] {
            let listed = try await f.collect(limit: limit) { try await f.store.auditEvents(matching: AuditFilter(), page: $0) }
            #expect(listed == appended.reversed(), "limit \(limit)")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badPageRequestsAreRejected(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        for limit in [0, -1, PageRequest.maximumLimit + 1] {
            await #expect(throws: StorageError(.invalidArgument, "")) {
                try await f.store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: limit))
            }
        }
        for cursor in ["", "garbage", "!!!!", String(repeating: "A", count: 2000), "dS4xLjI", "bC4xLm5vdC1hLXV1aWQ", "é"] {
            await #expect(throws: StorageError(.invalidArgument, ""), "cursor \(cursor)") {
                try await f.store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 10, cursor: cursor))
            }
        }
        // A cursor from another listing is refused too.
        let owner = try await f.agent("o")
        try await f.license(owner: owner)
        try await f.license(owner: owner)
        let licensePage = try await f.store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 1))
        let foreign = try #require(licensePage.nextCursor)
        await #expect(throws: StorageError(.invalidArgument, "")) {
            try await f.store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 10, cursor: foreign))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func checkAgentDecidesOnWhatItAudits(_ backend: StoreBackend) async throws {
        let f = try await StoreFixture(backend)
        let agent = try await f.agent("a", role: "editor")
        let seen = try await f.store.checkAgent(id: agent.id) { found, now in
            (found?.role, NewAuditEvent(eventType: "permission_check", userID: agent.id, details: ["role": found?.role ?? "-"]))
        }
        #expect(seen == "editor")
        let missing = UUID()
        let none = try await f.store.checkAgent(id: missing) { found, _ in
            (found == nil, NewAuditEvent(eventType: "permission_check", userID: missing, details: ["result": "DENY"]))
        }
        #expect(none)
        let events = try await f.store.auditEvents(matching: AuditFilter(eventType: "permission_check"), page: .init(limit: 10))
        #expect(events.items.count == 2)
        #expect(events.items.last?.details == ["role": "editor"])
        #expect(events.items.first?.userID == missing)
    }
}
