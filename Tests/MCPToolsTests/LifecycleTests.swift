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

/// The license lifecycle end to end over MCP, on every backend.
@Suite struct LifecycleTests {
    @Test(arguments: StoreBackend.allCases) func lifecycle(_ backend: StoreBackend) async throws {
        try await MCPHarness.with(backend) { h in
            // The editor generates; the viewer validates.
            let generated = try await h.succeed("generate_license_key", ["tier": "PRO", "expires_days": 365], as: .editor)
            let key = try #require(generated["license_key"]?.stringValue)
            let id = try #require(generated["license_id"]?.stringValue)
            h.clock.advance(by: 1)
            let valid = try await h.succeed("validate_license_key", ["key": .string(key), "feature_accessed": "export"], as: .viewer)
            #expect(valid["valid"] == true)
            #expect(valid["code"] == "VALID")
            #expect(valid["tier"] == "PRO")
            #expect(valid["license_id"] == .string(id))
            #expect(valid["expires_at"] == generated["expires_at"])

            // The viewer may neither generate nor read the editor's license.
            try expectFailure(try await h.call("generate_license_key", ["tier": "PRO"], as: .viewer), "PERMISSION_DENIED", tool: "generate_license_key")
            try expectFailure(try await h.call("get_license_info", ["license_id": .string(id)], as: .viewer), "PERMISSION_DENIED", tool: "get_license_info")

            // The admin revokes; validation now says REVOKED.
            h.clock.advance(by: 1)
            let revoked = try await h.succeed("revoke_license_key", ["license_id": .string(id), "reason": "compromised"], as: .admin)
            #expect(revoked["already_revoked"] == false)
            #expect(revoked["reason"] == "compromised")
            let revokedAt = try #require(revoked["revoked_at"])
            h.clock.advance(by: 1)
            let refused = try await h.succeed("validate_license_key", ["key": .string(key)], as: .viewer)
            #expect(refused["valid"] == false)
            #expect(refused["code"] == "REVOKED")
            #expect(refused["license_id"] == .string(id))

            // Revoking again is idempotent and keeps the first time and reason.
            h.clock.advance(by: 1)
            let again = try await h.succeed("revoke_license_key", ["license_id": .string(id), "reason": "again"], as: .admin)
            #expect(again["already_revoked"] == true)
            #expect(again["revoked_at"] == revokedAt)
            #expect(again["reason"] == "compromised")
            try expectFailure(
                try await h.call("revoke_license_key", ["license_id": .string(randomID())], as: .admin), "NOT_FOUND", tool: "revoke_license_key")

            // More attempts, then the owner pages through the history, newest first.
            for feature in ["a", "b", "c"] {
                h.clock.advance(by: 1)
                try await h.succeed("validate_license_key", ["key": .string(key), "feature_accessed": .string(feature)], as: .editor)
            }
            let full = try await h.succeed("get_usage_history", ["license_id": .string(id)], as: .editor)
            let items = try #require(full["items"]?.arrayValue).compactMap(\.objectValue)
            #expect(items.count == 5)
            #expect(items.map { $0["feature_accessed"] } == ["c", "b", "a", .null, "export"])
            #expect(items.map { $0["valid"] } == [false, false, false, false, true])
            #expect(items.first?["failure_reason"] == "REVOKED")
            #expect(items.last?["failure_reason"] == .null)
            let stamps = items.compactMap { $0["validated_at"]?.stringValue }
            #expect(stamps == stamps.sorted(by: >))

            var paged: [Value] = []
            var cursor: Value = .null
            for _ in 0..<10 {
                var arguments: [String: Value] = ["license_id": .string(id), "limit": 1]
                if cursor != .null { arguments["cursor"] = cursor }
                let page = try await h.succeed("get_usage_history", arguments, as: .editor)
                let pageItems = try #require(page["items"]?.arrayValue)
                #expect(pageItems.count <= 1)
                paged += pageItems.compactMap { $0.objectValue?["id"] }
                cursor = try #require(page["next_cursor"])
                if cursor == .null { break }
            }
            #expect(cursor == .null)
            #expect(paged == items.compactMap { $0["id"] })

            // The record tells the same story.
            let info = try await h.succeed("get_license_info", ["license_id": .string(id)], as: .editor)
            #expect(info["status"] == "revoked")
            #expect(info["revoked_at"] == revokedAt)
            #expect(info["revoked_reason"] == "compromised")
            #expect(info["validation_count"] == 1)
        }
    }

    /// Authorization reads the agent on every call: a role change or a suspension applies to the
    /// very next call made with the same key.
    @Test(arguments: StoreBackend.allCases) func roleAndStatusChangesApplyOnTheNextCall(_ backend: StoreBackend) async throws {
        try await MCPHarness.with(backend) { h in
            let viewer = h.agents[.viewer]!.id
            try expectFailure(try await h.call("generate_license_key", ["tier": "PRO"], as: .viewer), "PERMISSION_DENIED", tool: "generate_license_key")

            _ = try await h.store.updateAgent(id: viewer, AgentChange(role: Role.editor.rawValue))
            let generated = try await h.succeed("generate_license_key", ["tier": "PRO"], as: .viewer)
            #expect(generated["owner_agent_id"] == .string(h.id(.viewer)))
            #expect(try await h.succeed("whoami", nil, as: .viewer)["role"] == "editor")

            _ = try await h.store.updateAgent(id: viewer, AgentChange(role: Role.viewer.rawValue))
            try expectFailure(try await h.call("generate_license_key", ["tier": "PRO"], as: .viewer), "PERMISSION_DENIED", tool: "generate_license_key")

            _ = try await h.store.updateAgent(id: viewer, AgentChange(status: .suspended))
            for tool in ["whoami", "list_licenses"] {
                try expectFailure(try await h.call(tool, [:], as: .viewer), "UNAUTHENTICATED", tool: tool)
            }
            try expectFailure(
                try await h.call("validate_license_key", ["key": "TMWS-PRO-x"], as: .viewer), "UNAUTHENTICATED", tool: "validate_license_key")
            // Other agents are unaffected.
            try await h.succeed("whoami", nil, as: .editor)

            _ = try await h.store.updateAgent(id: viewer, AgentChange(status: .active))
            #expect(try await h.succeed("whoami", nil, as: .viewer)["status"] == "active")
        }
    }

    /// An admin demoted to editor loses revoke and the audit log at once.
    @Test func adminDemotion() async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            try await h.succeed("query_audit_log", ["limit": 1], as: .admin)
            _ = try await h.store.updateAgent(id: h.agents[.admin]!.id, AgentChange(role: Role.editor.rawValue))
            try expectFailure(try await h.call("query_audit_log", [:], as: .admin), "PERMISSION_DENIED", tool: "query_audit_log")
            try expectFailure(
                try await h.call("revoke_license_key", ["license_id": .string(license.id)], as: .admin), "PERMISSION_DENIED",
                tool: "revoke_license_key")
        }
    }
}
