import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func listFiltersAndPages(_ f: ConformanceFixture) async throws {
        for index in 0..<7 {
            try await f.agent("agent-\(index)", namespace: index.isMultiple(of: 2) ? "even" : "odd", role: index < 3 ? "editor" : "viewer")
        }
        let suspended = try await f.agent("zz-suspended")
        _ = try await f.store.updateAgent(id: suspended.id, AgentChange(status: .suspended))

        let all = try await f.collect(limit: 2) { try await f.store.agents(matching: AgentFilter(), page: $0) }
        #expect(all.map(\.name) == (0..<7).map { "agent-\($0)" } + ["zz-suspended"])
        let editors = try await f.collect(limit: 1) { try await f.store.agents(matching: AgentFilter(role: "editor"), page: $0) }
        #expect(editors.map(\.name) == ["agent-0", "agent-1", "agent-2"])
        let even = try await f.store.agents(matching: AgentFilter(namespace: "even"), page: PageRequest(limit: 100))
        #expect(even.items.map(\.name) == ["agent-0", "agent-2", "agent-4", "agent-6"])
        #expect(even.nextCursor == nil)
        let suspendedOnly = try await f.store.agents(matching: AgentFilter(status: .suspended), page: PageRequest(limit: 10))
        #expect(suspendedOnly.items.map(\.name) == ["zz-suspended"])
        #expect(try await f.store.allAgents().count == 8)
    }

    static func listFiltersAndPagesWithTies(_ f: ConformanceFixture) async throws {
        let alice = try await f.agent("alice", namespace: "a")
        let bob = try await f.agent("bob", namespace: "b")
        var inserted: [License] = []
        for index in 0..<20 {
            if index % 5 == 0 { f.clock.advance(by: 1) }  // groups of five share a created_at
            let expiry: Date? = index % 4 == 0 ? f.clock.date + 10 : nil
            inserted.append(try await f.license(owner: index < 12 ? alice : bob, tier: index % 2 == 0 ? "PRO" : "FREE", expiresAt: expiry))
        }
        _ = try await f.store.revokeLicense(id: inserted[1].id, reason: "test", revokedBy: alice.id)
        f.clock.advance(by: 60)  // the dated ones are expired now

        func list(_ filter: LicenseFilter, limit: Int = 3) async throws -> [License] {
            try await f.collect(limit: limit) { try await f.store.licenses(matching: filter, page: $0) }
        }
        let newestFirst = inserted.sorted { ($0.createdAt, $0.id.uuidString.lowercased()) > ($1.createdAt, $1.id.uuidString.lowercased()) }
        #expect(try await list(LicenseFilter()).map(\.id) == newestFirst.map(\.id))
        #expect(try await list(LicenseFilter(), limit: 1).map(\.id) == newestFirst.map(\.id))
        #expect(try await list(LicenseFilter(ownerID: alice.id)).count == 12)
        #expect(try await list(LicenseFilter(namespace: "b")).count == 8)
        #expect(try await list(LicenseFilter(tier: "PRO")).count == 10)
        #expect(try await list(LicenseFilter(status: .revoked)).map(\.id) == [inserted[1].id])
        #expect(try await list(LicenseFilter(status: .expired)).count == 5)
        #expect(try await list(LicenseFilter(status: .active)).count == 14)
        #expect(try await list(LicenseFilter(ownerID: bob.id, tier: "PRO", status: .active)).count == 2)
        let since = inserted[5].createdAt
        #expect(try await f.store.countLicenses(createdSince: since, until: nil) == 15)
        #expect(try await f.store.countLicenses(createdSince: since, until: inserted[10].createdAt) == 5)
    }

    static func paginationWithTiesInTime(_ f: ConformanceFixture) async throws {
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

    static func badPageRequestsAreRejected(_ f: ConformanceFixture) async throws {
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

    static func usageHistoryPagesWithTies(_ f: ConformanceFixture) async throws {
        let owner = try await f.agent("owner")
        let license = try await f.license(owner: owner)
        let other = try await f.license(owner: owner)
        var rows: [UsageRecord] = []
        for index in 0..<23 {
            if index % 6 == 0 { f.clock.advance(by: 0.5) }
            rows.append(try await f.store.recordValidation(licenseID: license.id, agentID: owner.id, featureAccessed: "f\(index)") { _, _ in .valid }.usage)
            _ = try await f.store.recordValidation(licenseID: other.id, agentID: owner.id, featureAccessed: nil) { _, _ in .valid }
        }
        for limit in [1, 5, 6, 22, 23, 1000] {
            let listed = try await f.collect(limit: limit) { try await f.store.usageHistory(licenseID: license.id, page: $0) }
            #expect(listed == rows.reversed(), "limit \(limit)")
        }
        let empty = try await f.store.usageHistory(licenseID: UUID(), page: .init(limit: 10))
        #expect(empty.items.isEmpty && empty.nextCursor == nil)
        await #expect(throws: StorageError(.invalidArgument, "")) {
            try await f.store.usageHistory(licenseID: license.id, page: .init(limit: 10, cursor: "dS54LjI"))
        }
    }
}
