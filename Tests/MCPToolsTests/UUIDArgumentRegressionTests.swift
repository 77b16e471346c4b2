import Foundation
import MCP
import Testing

/// Found by the tool-argument fuzz target (Fuzz/): UUID arguments were parsed with Foundation's
/// `UUID(uuidString:)`, which on Linux reads each byte with `sscanf("%2hhx")` and so accepts a
/// space, a sign or a second dash inside the 36 characters. `"550e84 0-…"` named license
/// `550e8400-…`, and `"+50e8400-…"` named `050e8400-…`: ids the schema's pattern rejects.
@Suite struct UUIDArgumentRegressionTests {
    /// Text of the right length and case that is not `^[0-9a-f]{8}-…-[0-9a-f]{12}$`.
    static let lenient = [
        "550e84 0-e29b-41d4-a716-446655440000", "+50e8400-e29b-41d4-a716-446655440000",
        "550e8400-e29b-41d4-a716-4466554400-0", "550e8400-e29b-41d4-a716-44665544\t000",
    ]

    static let cases: [(tool: String, argument: String)] = [
        ("revoke_license_key", "license_id"), ("get_usage_history", "license_id"), ("get_license_info", "license_id"),
        ("list_licenses", "owner_agent_id"), ("query_audit_log", "agent_id"),
    ]

    @Test(arguments: cases) func lenientUUIDTextIsRejected(_ tool: String, _ argument: String) async throws {
        try await MCPHarness.with { h in
            for text in Self.lenient {
                let result = try await h.call(tool, [argument: .string(text)], as: .admin)
                let message = try expectFailure(result, "INVALID_ARGUMENT", tool: tool)
                #expect(message.contains(argument), "\(message)")
            }
        }
    }

    /// The harm: a real license's id with one hex digit replaced by a space still named it.
    @Test func lenientFormOfARealIdDoesNotNameIt() async throws {
        try await MCPHarness.with { h in
            // A byte whose high digit is 0 parses the same as " X"; most ids have one.
            var found: (id: String, variant: String)?
            for _ in 0..<64 where found == nil {
                let id = try await h.generate().id
                var chars = Array(id)
                let pairs = stride(from: 0, to: 36, by: 1).filter { ![8, 13, 18, 23].contains($0) }
                if let index = stride(from: 0, to: pairs.count, by: 2).map({ pairs[$0] }).first(where: { chars[$0] == "0" }) {
                    chars[index] = " "
                    found = (id, String(chars))
                }
            }
            let (id, variant) = try #require(found)
            try expectFailure(try await h.call("get_license_info", ["license_id": .string(variant)], as: .admin), "INVALID_ARGUMENT", tool: "get_license_info")
            try expectFailure(
                try await h.call("revoke_license_key", ["license_id": .string(variant)], as: .admin), "INVALID_ARGUMENT", tool: "revoke_license_key")
            let info = try await h.succeed("get_license_info", ["license_id": .string(id)], as: .admin)
            #expect(info["status"] == "active")
        }
    }
}
