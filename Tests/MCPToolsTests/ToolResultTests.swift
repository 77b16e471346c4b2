import Foundation
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Every tool's success result: `isError` false, text, and `structuredContent` that satisfies the
/// tool's declared output schema (checked by `expectSuccess`).
@Suite struct ToolResultTests {
    @Test func generate() async throws {
        try await MCPHarness.with { h in
            let issuedAt = Timestamp.iso8601(h.clock.date)
            let result = try await h.succeed("generate_license_key", ["tier": "PRO", "expires_days": 365, "metadata": ["seat": "7"]], as: .editor)
            let key = try #require(result["license_key"]?.stringValue)
            #expect(key.hasPrefix("TMWS-PRO-"))
            #expect(result["tier"] == "PRO")
            #expect(result["issued_at"] == .string(issuedAt))
            #expect(result["expires_at"] == .string(Timestamp.iso8601(h.clock.date.addingTimeInterval(365 * 86_400))))
            #expect(result["is_perpetual"] == false)
            #expect(result["owner_agent_id"] == .string(h.id(.editor)))
            #expect(result["namespace"] == "ns")
            let id = try #require(result["license_id"]?.stringValue)
            #expect(key.lowercased().contains(id))

            let perpetual = try await h.succeed("generate_license_key", ["tier": "ENTERPRISE"], as: .admin)
            #expect(perpetual["expires_at"] == .null)
            #expect(perpetual["is_perpetual"] == true)
            #expect(perpetual["owner_agent_id"] == .string(h.id(.admin)))
        }
    }

    @Test func validate() async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            let valid = try await h.succeed("validate_license_key", ["key": .string(license.key), "feature_accessed": "export"], as: .viewer)
            #expect(valid["valid"] == true)
            #expect(valid["code"] == "VALID")
            #expect(valid["tier"] == "PRO")
            #expect(valid["license_id"] == .string(license.id))
            #expect(valid["is_perpetual"] == false)
            #expect(valid["validated_at"] == .string(Timestamp.iso8601(h.clock.date)))

            // A malformed key is a result, not an error, and discloses nothing.
            let malformed = try await h.succeed("validate_license_key", ["key": "TMWS-nonsense"], as: .viewer)
            #expect(malformed["valid"] == false)
            #expect(malformed["code"] == "MALFORMED")
            for field in ["tier", "license_id", "expires_at", "is_perpetual"] { #expect(malformed[field] == .null, "\(field)") }
        }
    }

    @Test func revoke() async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            let result = try await h.succeed("revoke_license_key", ["license_id": .string(license.id), "reason": "leaked"], as: .admin)
            #expect(result["license_id"] == .string(license.id))
            #expect(result["revoked_at"] == .string(Timestamp.iso8601(h.clock.date)))
            #expect(result["reason"] == "leaked")
            #expect(result["already_revoked"] == false)

            let other = try await h.generate()
            let noReason = try await h.succeed("revoke_license_key", ["license_id": .string(other.id)], as: .admin)
            #expect(noReason["reason"] == .null)
        }
    }

    @Test func usageHistory() async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            try await h.succeed("validate_license_key", ["key": .string(license.key)], as: .viewer)
            h.clock.advance(by: 1)
            try await h.succeed("validate_license_key", ["key": .string(license.key), "feature_accessed": "sync"], as: .editor)
            for caller in [Caller.editor, .admin] {
                let page = try await h.succeed("get_usage_history", ["license_id": .string(license.id)], as: caller)
                #expect(page["license_id"] == .string(license.id))
                #expect(page["next_cursor"] == .null)
                let items = try #require(page["items"]?.arrayValue)
                #expect(items.count == 2)
                #expect(items.first?.objectValue?["agent_id"] == .string(h.id(.editor)))
                #expect(items.first?.objectValue?["feature_accessed"] == "sync")
                #expect(items.last?.objectValue?["agent_id"] == .string(h.id(.viewer)))
                #expect(items.last?.objectValue?["feature_accessed"] == .null)
            }
        }
    }

    @Test func licenseInfo() async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            try await h.succeed("validate_license_key", ["key": .string(license.key)], as: .viewer)
            for caller in [Caller.editor, .admin] {
                let info = try await h.succeed("get_license_info", ["license_id": .string(license.id)], as: caller)
                #expect(info["license_id"] == .string(license.id))
                #expect(info["owner_agent_id"] == .string(h.id(.editor)))
                #expect(info["namespace"] == "ns")
                #expect(info["status"] == "active")
                #expect(info["is_active"] == true)
                #expect(info["validation_count"] == 1)
                #expect(info["revoked_at"] == .null)
            }
        }
    }

    @Test func listLicenses() async throws {
        try await MCPHarness.with { h in
            let mine = try await h.generate()
            _ = try await h.generate("FREE", as: .outsider)
            _ = try await h.generate("ENTERPRISE", days: nil, as: .admin)
            let own = try await h.succeed("list_licenses", [:], as: .editor)
            #expect(own["items"]?.arrayValue?.compactMap { $0.objectValue?["license_id"] } == [.string(mine.id)])
            let all = try await h.succeed("list_licenses", ["limit": 10], as: .admin)
            #expect(all["items"]?.arrayValue?.count == 3)
            let filtered = try await h.succeed(
                "list_licenses", ["tier": "FREE", "status": "active", "owner_agent_id": .string(h.id(.outsider))], as: .admin)
            #expect(filtered["items"]?.arrayValue?.count == 1)
            #expect(filtered["items"]?.arrayValue?.first?.objectValue?["namespace"] == "other")
            let empty = try await h.succeed("list_licenses", [:], as: .viewer)
            #expect(empty["items"] == [])
            #expect(empty["next_cursor"] == .null)
            // The text block counts in words (#15, item 10: it said "1 licenses.").
            let one = try await h.call("list_licenses", [:], as: .editor)
            #expect(one.content.contains { if case .text(let text, _, _) = $0 { text == "1 license." } else { false } }, "\(one.content)")
        }
    }

    @Test(arguments: Caller.allCases) func whoami(caller: Caller) async throws {
        try await MCPHarness.with { h in
            let me = try await h.succeed("whoami", nil, as: caller)
            #expect(me["agent_id"] == .string(h.id(caller)))
            #expect(me["name"] == .string("agent-\(caller.rawValue)"))
            #expect(me["namespace"] == .string(caller.namespace))
            #expect(me["role"] == .string(caller.role.rawValue))
            #expect(me["status"] == "active")
            let permissions = try #require(me["permissions"]?.arrayValue).compactMap(\.stringValue)
            #expect(permissions.contains("license:validate"))
            #expect(permissions.contains("license:generate") == (caller.role != .viewer))
            #expect(permissions.contains("license:revoke") == (caller.role == .admin))
        }
    }

    @Test func auditLog() async throws {
        try await MCPHarness.with { h in
            let since = Timestamp.iso8601(h.clock.date)
            let license = try await h.generate()
            h.clock.advance(by: 60)
            try await h.succeed("revoke_license_key", ["license_id": .string(license.id)], as: .admin)
            let everything = try await h.succeed("query_audit_log", [:], as: .admin)
            #expect((everything["items"]?.arrayValue?.count ?? 0) >= 2)

            let generated = try await h.succeed(
                "query_audit_log", ["event_type": "license_generated", "agent_id": .string(h.id(.editor)), "since": .string(since)], as: .admin)
            let items = try #require(generated["items"]?.arrayValue)
            #expect(items.count == 1)
            #expect(items.first?.objectValue?["user_id"] == .string(h.id(.editor)))
            let details = try #require(items.first?.objectValue?["details"]?.objectValue)
            #expect(details["license_id"] == .string(license.id))
            // DESIGN.md: timestamps in results are ISO 8601 UTC with a Z suffix — the audit
            // details of license_generated included.
            let expiry = try #require(details["expires_at"]?.stringValue)
            #expect(JSONSchema.matches(expiry, JSONSchema.isoSeconds), "license_generated details.expires_at = \(expiry)")

            let until = Timestamp.iso8601(h.clock.date)
            let before = try await h.succeed("query_audit_log", ["event_type": "license_revoked", "until": .string(until)], as: .admin)
            #expect(before["items"] == [])
            let denials = try await h.succeed("query_audit_log", ["result": "DENY", "limit": 5], as: .admin)
            #expect(denials["items"]?.arrayValue != nil)
        }
    }
}
