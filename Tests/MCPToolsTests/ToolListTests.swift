import Foundation
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// `tools/list` over the SDK: the names are the contract, and every schema states its bounds.
@Suite struct ToolListTests {
    static let names: Set<String> = [
        "generate_license_key", "validate_license_key", "revoke_license_key", "get_usage_history", "get_license_info",
        "list_licenses", "whoami", "query_audit_log", "checkout_license",
    ]
    static let readTools: Set<String> = ["get_usage_history", "get_license_info", "list_licenses", "whoami", "query_audit_log"]
    static let uuidPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

    func listed() async throws -> [Tool] {
        try await MCPHarness.with { harness in
            try await harness.client.listTools()
        }
    }

    static func properties(_ tool: Tool) -> [String: Value] {
        tool.inputSchema.objectValue?["properties"]?.objectValue ?? [:]
    }

    @Test func listsExactlyTheNineTools() async throws {
        let tools = try await listed()
        #expect(tools.count == 9)
        #expect(Set(tools.map(\.name)) == Self.names)
    }

    @Test func everyToolIsDescribedAndClosed() async throws {
        for tool in try await listed() {
            #expect(!(tool.title ?? "").isEmpty, "\(tool.name)")
            #expect(!(tool.description ?? "").isEmpty, "\(tool.name)")
            let input = try #require(tool.inputSchema.objectValue, "\(tool.name)")
            #expect(input["type"] == "object", "\(tool.name)")
            #expect(input["additionalProperties"] == .bool(false), "\(tool.name)")
            let required = input["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(Set(required).isSubset(of: Set(Self.properties(tool).keys)), "\(tool.name)")
            let output = try #require(tool.outputSchema?.objectValue, "\(tool.name)")
            #expect(output["type"] == "object", "\(tool.name)")
            // The schemas use only keywords the checker enforces.
            #expect(JSONSchema.unsupportedKeywords(in: tool.inputSchema) == [], "\(tool.name)")
            #expect(JSONSchema.unsupportedKeywords(in: .object(output)) == [], "\(tool.name)")
        }
    }

    @Test func annotations() async throws {
        let tools = try await listed()
        let revoke = try #require(tools.first { $0.name == "revoke_license_key" })
        #expect(revoke.annotations.destructiveHint == true)
        #expect(revoke.annotations.idempotentHint == true)
        #expect(revoke.annotations.readOnlyHint != true)
        for tool in tools where Self.readTools.contains(tool.name) {
            #expect(tool.annotations.readOnlyHint == true, "\(tool.name)")
        }
        for tool in tools where !Self.readTools.contains(tool.name) {
            #expect(tool.annotations.readOnlyHint != true, "\(tool.name) writes (usage rows, licenses, revocations)")
        }
    }

    @Test func generateBounds() async throws {
        let generate = try #require(try await listed().first { $0.name == "generate_license_key" })
        let properties = Self.properties(generate)
        #expect(properties["tier"]?.objectValue?["enum"] == ["FREE", "PRO", "ENTERPRISE"])
        let days = try #require(properties["expires_days"]?.objectValue)
        #expect(days["type"] == "integer")
        #expect(days["minimum"] == 30)
        #expect(days["maximum"] == 3650)
        #expect(generate.inputSchema.objectValue?["required"] == ["tier"])
    }

    @Test func idsAndLimits() async throws {
        var idCount = 0, limitCount = 0
        for tool in try await listed() {
            for (name, schema) in Self.properties(tool) {
                let schema = try #require(schema.objectValue)
                if name == "license_id" || name.hasSuffix("agent_id") {
                    idCount += 1
                    #expect(schema["pattern"] == .string(Self.uuidPattern), "\(tool.name).\(name)")
                }
                if name == "limit" {
                    limitCount += 1
                    #expect(schema["type"] == "integer", "\(tool.name)")
                    #expect(schema["minimum"] == 1, "\(tool.name)")
                    #expect(schema["maximum"] == 1000, "\(tool.name)")
                }
            }
        }
        #expect(idCount == 5)  // revoke, usage, info license_id; list owner_agent_id; audit agent_id
        #expect(limitCount == 3)  // usage, list, audit
    }

    /// The caller is the API key's agent: no tool lets the caller name itself.
    @Test func noArgumentNamesTheCaller() async throws {
        let forbidden = ["caller", "api_key", "apikey", "token", "role", "namespace", "principal", "auth", "secret", "password", "user", "as_"]
        let filters: Set<String> = ["query_audit_log.agent_id", "list_licenses.owner_agent_id"]
        for tool in try await listed() {
            for name in Self.properties(tool).keys {
                let lower = name.lowercased()
                #expect(!forbidden.contains { lower.contains($0) }, "\(tool.name).\(name)")
                if lower.contains("agent") || lower.contains("owner") || lower.contains("identity") {
                    #expect(filters.contains("\(tool.name).\(name)"), "\(tool.name).\(name)")
                }
            }
        }
    }

    /// The checker itself, so that a passing validation means something.
    @Test func schemaCheckerRejectsWhatItShould() {
        let schema: Value = [
            "type": "object",
            "properties": [
                "id": ["type": "string", "pattern": .string(Self.uuidPattern)], "n": ["type": "integer", "minimum": 1, "maximum": 3],
                "at": ["type": ["string", "null"], "format": "date-time"], "list": ["type": "array", "items": ["type": "boolean"]],
                "tier": ["type": "string", "enum": ["PRO"]],
            ],
            "required": ["id"], "additionalProperties": false,
        ]
        #expect(JSONSchema.errors(["id": "550e8400-e29b-41d4-a716-446655440000", "n": 2, "at": .null, "list": [true]], against: schema) == [])
        #expect(JSONSchema.errors(["id": "550e8400-e29b-41d4-a716-446655440000", "at": "2026-11-26T14:00:00Z"], against: schema) == [])
        let bad: [Value] = [
            [:], ["id": "550E8400-E29B-41D4-A716-446655440000"], ["id": 1], ["id": "550e8400-e29b-41d4-a716-446655440000", "n": 4],
            ["id": "550e8400-e29b-41d4-a716-446655440000", "n": "2"], ["id": "550e8400-e29b-41d4-a716-446655440000", "x": 1],
            ["id": "550e8400-e29b-41d4-a716-446655440000", "at": "2026-11-26T14:00:00.000Z"],
            ["id": "550e8400-e29b-41d4-a716-446655440000", "list": [1]], ["id": "550e8400-e29b-41d4-a716-446655440000", "tier": "FREE"],
        ]
        for value in bad { #expect(!JSONSchema.errors(value, against: schema).isEmpty, "\(value)") }
        let either: Value = ["anyOf": [["type": "object", "required": ["a"]], ["type": "object", "required": ["b"]]]]
        #expect(JSONSchema.errors(["b": 1], against: either) == [])
        #expect(!JSONSchema.errors(["c": 1], against: either).isEmpty)
    }
}
