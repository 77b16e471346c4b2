import Foundation
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// Every domain error code reaches the client as an `isError` result with
/// `{"error": {"code", "message"}}` (checked by `expectFailure`).
@Suite struct ToolErrorTests {
    /// One call for each tool, with arguments that would otherwise be accepted.
    static func everyTool(_ licenseID: String) -> [(String, [String: Value])] {
        [
            ("generate_license_key", ["tier": "PRO"]), ("validate_license_key", ["key": "TMWS-PRO-x"]),
            ("revoke_license_key", ["license_id": .string(licenseID)]), ("get_usage_history", ["license_id": .string(licenseID)]),
            ("get_license_info", ["license_id": .string(licenseID)]), ("list_licenses", [:]), ("whoami", [:]), ("query_audit_log", [:]),
        ]
    }

    enum BadKey: String, CaseIterable, Sendable {
        case none, empty, malformed, wellFormedUnknown, revoked, suspendedAgent
    }

    @Test(arguments: BadKey.allCases) func unauthenticated(_ bad: BadKey) async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            let key: String?
            switch bad {
            case .none: key = nil
            case .empty: key = ""
            case .malformed: key = "definitely not a key"
            case .wellFormedUnknown: key = "tmws_ak_" + String(repeating: "A", count: 43)
            case .revoked:
                let issued = try await h.authenticator.issueKey(for: h.agents[.viewer]!.id)
                _ = try await h.authenticator.revokeKey(agentID: issued.record.agentID, prefix: issued.record.id.uuidString)
                key = issued.key
            case .suspendedAgent:
                _ = try await h.store.updateAgent(id: h.agents[.admin]!.id, AgentChange(status: .suspended))
                key = h.keys[.admin]
            }
            for (tool, arguments) in Self.everyTool(license.id) {
                try expectFailure(try await h.call(tool, arguments, key: key), "UNAUTHENTICATED", tool: tool)
            }
            // Nothing was done on the unauthenticated caller's behalf.
            let info = try await h.succeed("get_license_info", ["license_id": .string(license.id)], as: .editor)
            #expect(info["status"] == "active")
            #expect(info["validation_count"] == 0)
        }
    }

    @Test func permissionDenied() async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            let id: Value = .string(license.id)
            let denied: [(String, [String: Value], Caller)] = [
                ("generate_license_key", ["tier": "PRO"], .viewer),
                ("generate_license_key", ["tier": "FREE", "expires_days": 30], .viewer),
                ("revoke_license_key", ["license_id": id], .editor),
                ("revoke_license_key", ["license_id": id], .viewer),
                ("get_license_info", ["license_id": id], .viewer),
                ("get_usage_history", ["license_id": id], .viewer),
                ("get_license_info", ["license_id": id], .outsider),
                ("get_usage_history", ["license_id": id], .outsider),
                ("list_licenses", ["owner_agent_id": .string(h.id(.editor))], .viewer),
                ("query_audit_log", [:], .editor),
                ("query_audit_log", [:], .viewer),
                ("query_audit_log", [:], .outsider),
                // A non-admin cannot tell a license it may not see from one that does not exist.
                ("get_license_info", ["license_id": .string(randomID())], .editor),
                ("get_usage_history", ["license_id": .string(randomID())], .viewer),
            ]
            for (tool, arguments, caller) in denied {
                try expectFailure(try await h.call(tool, arguments, as: caller), "PERMISSION_DENIED", tool: tool)
            }
            // The denied revocations did not revoke.
            let info = try await h.succeed("get_license_info", ["license_id": id], as: .admin)
            #expect(info["status"] == "active")
            #expect(info["revoked_at"] == .null)
        }
    }

    @Test func notFound() async throws {
        try await MCPHarness.with { h in
            for tool in ["revoke_license_key", "get_license_info", "get_usage_history"] {
                try expectFailure(try await h.call(tool, ["license_id": .string(randomID())], as: .admin), "NOT_FOUND", tool: tool)
            }
        }
    }

    @Test func unknownToolThrowsAndTheSessionGoesOn() async throws {
        try await MCPHarness.with { h in
            let error = await #expect(throws: MCPError.self) {
                try await h.call("delete_everything", ["license_id": .string(randomID())], as: .admin)
            }
            #expect(error?.code == MCPError.invalidParams(nil).code)
            // The session is still usable, with the same key and with another.
            try await h.succeed("whoami", nil, as: .admin)
            let license = try await h.generate()
            try await h.succeed("validate_license_key", ["key": .string(license.key)], as: .viewer)
        }
    }

    /// A failure result validates against the output schema's error branch, for every tool.
    @Test func errorShapeForEveryTool() async throws {
        try await MCPHarness.with { h in
            for (tool, arguments) in Self.everyTool(randomID()) {
                let message = try expectFailure(try await h.call(tool, arguments, key: nil), "UNAUTHENTICATED", tool: tool)
                #expect(!message.contains("tmws_ak_"))
            }
        }
    }
}
