import Foundation
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// One malformed call: every one is `INVALID_ARGUMENT`, and the message names the argument.
struct BadArguments: Sendable, CustomTestStringConvertible {
    /// Stands for the id of a real license of the editor's, filled in by the test.
    static let license: Value = "$license"

    let label: String
    let tool: String
    let arguments: [String: Value]
    let argument: String
    var caller: Caller = .admin

    var testDescription: String { "\(tool): \(label)" }

    func resolved(licenseID: String) -> [String: Value] {
        arguments.mapValues { $0 == Self.license ? .string(licenseID) : $0 }
    }

    static let forgedCursor: Value = "eyJraW5kIjoiYXVkaXQiLCJpZCI6OTk5fQ"
    static let upperUUID: Value = "550E8400-E29B-41D4-A716-446655440000"
    static let megabyte: Value = .string("TMWS-PRO-" + String(repeating: "A", count: 1 << 20))

    static let all: [BadArguments] = [
        // Unknown and missing arguments.
        .init(label: "unknown argument", tool: "generate_license_key", arguments: ["tier": "PRO", "color": "red"], argument: "color"),
        .init(label: "caller identity smuggled in", tool: "validate_license_key", arguments: ["key": "x", "api_key": "x"], argument: "api_key"),
        .init(label: "whoami takes no arguments", tool: "whoami", arguments: ["agent_id": .string(randomID())], argument: "agent_id"),
        .init(label: "missing tier", tool: "generate_license_key", arguments: ["expires_days": 30], argument: "tier"),
        .init(label: "null tier", tool: "generate_license_key", arguments: ["tier": .null], argument: "tier"),
        .init(label: "missing key", tool: "validate_license_key", arguments: ["feature_accessed": "x"], argument: "key"),
        .init(label: "missing license_id", tool: "revoke_license_key", arguments: ["reason": "x"], argument: "license_id"),
        .init(label: "missing license_id", tool: "get_usage_history", arguments: [:], argument: "license_id"),
        .init(label: "missing license_id", tool: "get_license_info", arguments: [:], argument: "license_id"),
        // Wrong types and values.
        .init(label: "tier as number", tool: "generate_license_key", arguments: ["tier": 2], argument: "tier"),
        .init(label: "fullwidth tier", tool: "generate_license_key", arguments: ["tier": "\u{FF30}\u{FF32}\u{FF2F}"], argument: "tier"),
        .init(label: "tier with a space", tool: "generate_license_key", arguments: ["tier": "PRO "], argument: "tier"),
        .init(label: "expires_days as string", tool: "generate_license_key", arguments: ["tier": "PRO", "expires_days": "30"], argument: "expires_days"),
        .init(label: "expires_days fractional", tool: "generate_license_key", arguments: ["tier": "PRO", "expires_days": 30.5], argument: "expires_days"),
        .init(label: "metadata not strings", tool: "generate_license_key", arguments: ["tier": "PRO", "metadata": ["n": 1]], argument: "metadata"),
        .init(label: "limit as string", tool: "get_usage_history", arguments: ["license_id": license, "limit": "10"], argument: "limit"),
        .init(label: "limit fractional", tool: "list_licenses", arguments: ["limit": 1.5], argument: "limit"),
        .init(label: "key as number", tool: "validate_license_key", arguments: ["key": 42], argument: "key"),
        .init(label: "license_id as number", tool: "revoke_license_key", arguments: ["license_id": 7], argument: "license_id"),
        .init(label: "status unknown", tool: "list_licenses", arguments: ["status": "deleted"], argument: "status"),
        .init(label: "result unknown", tool: "query_audit_log", arguments: ["result": "MAYBE"], argument: "result"),
        // Out of range.
        .init(
            label: "expires_days 29", tool: "generate_license_key", arguments: ["tier": "PRO", "expires_days": 29], argument: "expires_days", caller: .editor),
        .init(
            label: "expires_days 3651", tool: "generate_license_key", arguments: ["tier": "PRO", "expires_days": 3651], argument: "expires_days",
            caller: .editor),
        .init(label: "expires_days 0", tool: "generate_license_key", arguments: ["tier": "PRO", "expires_days": 0], argument: "expires_days"),
        .init(label: "limit 0", tool: "get_usage_history", arguments: ["license_id": license, "limit": 0], argument: "limit", caller: .editor),
        .init(label: "limit 1001", tool: "get_usage_history", arguments: ["license_id": license, "limit": 1001], argument: "limit"),
        .init(label: "limit -5", tool: "list_licenses", arguments: ["limit": -5], argument: "limit", caller: .viewer),
        .init(label: "limit 10^12", tool: "query_audit_log", arguments: ["limit": .int(1_000_000_000_000)], argument: "limit"),
        .init(label: "limit 1e300", tool: "query_audit_log", arguments: ["limit": .double(1e300)], argument: "limit"),
        // Malformed ids, strings and cursors.
        .init(label: "uppercase UUID", tool: "revoke_license_key", arguments: ["license_id": upperUUID], argument: "license_id"),
        .init(label: "uppercase UUID", tool: "get_license_info", arguments: ["license_id": upperUUID], argument: "license_id", caller: .viewer),
        .init(label: "non-UUID", tool: "get_usage_history", arguments: ["license_id": "not-a-uuid"], argument: "license_id"),
        .init(label: "non-UUID", tool: "get_license_info", arguments: ["license_id": "../../etc/passwd"], argument: "license_id"),
        .init(label: "UUID without dashes", tool: "revoke_license_key", arguments: ["license_id": "550e8400e29b41d4a716446655440000"], argument: "license_id"),
        .init(label: "bad owner id", tool: "list_licenses", arguments: ["owner_agent_id": "abc"], argument: "owner_agent_id"),
        .init(label: "bad agent id", tool: "query_audit_log", arguments: ["agent_id": upperUUID], argument: "agent_id"),
        .init(label: "1 MB key", tool: "validate_license_key", arguments: ["key": megabyte], argument: "key", caller: .viewer),
        .init(
            label: "feature > 256 bytes", tool: "validate_license_key",
            arguments: ["key": "x", "feature_accessed": .string(String(repeating: "f", count: 257))], argument: "feature_accessed"),
        .init(
            label: "reason > 1024 bytes", tool: "revoke_license_key",
            arguments: ["license_id": license, "reason": .string(String(repeating: "é", count: 513))], argument: "reason"),
        .init(
            label: "forged cursor", tool: "get_usage_history", arguments: ["license_id": license, "cursor": forgedCursor], argument: "cursor", caller: .editor),
        .init(label: "forged cursor", tool: "list_licenses", arguments: ["cursor": "garbage!"], argument: "cursor", caller: .editor),
        .init(label: "forged cursor", tool: "query_audit_log", arguments: ["cursor": forgedCursor], argument: "cursor"),
        .init(label: "cursor > 512 bytes", tool: "list_licenses", arguments: ["cursor": .string(String(repeating: "c", count: 513))], argument: "cursor"),
        .init(label: "since not ISO 8601", tool: "query_audit_log", arguments: ["since": "yesterday"], argument: "since"),
        .init(label: "since with an offset", tool: "query_audit_log", arguments: ["since": "2026-01-01T00:00:00+02:00"], argument: "since"),
        .init(label: "until a date only", tool: "query_audit_log", arguments: ["until": "2026-01-01"], argument: "until"),
    ]
}

@Suite struct ToolArgumentTests {
    @Test(arguments: BadArguments.all) func rejected(_ bad: BadArguments) async throws {
        try await MCPHarness.with { h in
            let license = try await h.generate()
            let result = try await h.call(bad.tool, bad.resolved(licenseID: license.id), as: bad.caller)
            let message = try expectFailure(result, "INVALID_ARGUMENT", tool: bad.tool)
            #expect(message.contains(bad.argument), "\(message)")
            #expect(message.utf8.count < 512, "the message does not echo the value")
            // A rejected call changes nothing.
            let info = try await h.succeed("get_license_info", ["license_id": .string(license.id)], as: .admin)
            #expect(info["status"] == "active")
            #expect(info["validation_count"] == 0)
            let licenses = try await h.succeed("list_licenses", [:], as: .admin)
            #expect(licenses["items"]?.arrayValue?.count == 1)
        }
    }

    /// The same arguments are accepted at the edges of their ranges.
    @Test func boundsAreInclusive() async throws {
        try await MCPHarness.with { h in
            for days in [30, 3650] {
                try await h.succeed("generate_license_key", ["tier": "FREE", "expires_days": .int(days)], as: .editor)
            }
            let license = try await h.generate()
            for limit in [1, 1000] {
                try await h.succeed("get_usage_history", ["license_id": .string(license.id), "limit": .int(limit)], as: .editor)
                try await h.succeed("list_licenses", ["limit": .int(limit)], as: .editor)
                try await h.succeed("query_audit_log", ["limit": .int(limit)], as: .admin)
            }
            // Enumerated words in any letter case, as tmwsctl reads them (#15, item 8); answers use the canonical spelling.
            let lower = try await h.succeed("generate_license_key", ["tier": "pro"], as: .editor)
            #expect(lower["tier"] == "PRO")
            let filtered = try await h.succeed("list_licenses", ["tier": "Pro", "status": "ACTIVE"], as: .editor)
            let items = filtered["items"]?.arrayValue ?? []
            #expect(items.contains { $0.objectValue?["license_id"] == lower["license_id"] })
            #expect(items.allSatisfy { $0.objectValue?["tier"] == "PRO" && $0.objectValue?["status"] == "active" })
            try await h.succeed("query_audit_log", ["result": "allow"], as: .admin)
            // An integral double is an integer (JSON has one number type).
            try await h.succeed("list_licenses", ["limit": .double(10)], as: .editor)
            let reason = String(repeating: "r", count: 1024)
            let revoked = try await h.succeed("revoke_license_key", ["license_id": .string(license.id), "reason": .string(reason)], as: .admin)
            #expect(revoked["reason"] == .string(reason))
            try await h.succeed("query_audit_log", ["since": "2026-01-01T00:00:00.5Z", "until": "2030-01-01T00:00:00+00:00"], as: .admin)
        }
    }
}
