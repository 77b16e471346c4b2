import Foundation
import MCP
import TMWSLicenseCore
import TMWSStorage

/// A decoded argument, with the text it came from where it was text.
enum Decoded {
    case string(String)
    case integer(Int)
    case uuid(String, UUID)
    case choice(String)
    case date(String, Date)
    case map([String: String])
}

/// Each tool's argument decoding, call for call as in `LicenseToolHandler.tools`
/// (Sources/MCPTools/LicenseToolHandler.swift), minus the service call. Keep the two in step:
/// the same decoder method, argument name and limit for every argument.
enum ToolDecoding {
    typealias Limits = ServiceLimits

    static func decode(_ tool: String, _ args: ToolArguments) throws(LicenseError) -> [String: Decoded] {
        var out: [String: Decoded] = [:]
        func string(_ name: String, _ text: String?) { if let text { out[name] = .string(text) } }
        func integer(_ name: String, _ number: Int?) { if let number { out[name] = .integer(number) } }
        func uuid(_ name: String, _ id: UUID?) throws(LicenseError) {
            if let id { out[name] = .uuid(args.values[name]!.stringValue!, id) }
        }
        func choice<T>(_ name: String, _ value: T?) { if value != nil { out[name] = .choice(args.values[name]!.stringValue!) } }
        func date(_ name: String, _ value: Date?) { if let value { out[name] = .date(args.values[name]!.stringValue!, value) } }

        switch tool {
        case "generate_license_key":
            choice("tier", try args.choice("tier", required: true, LicenseTier.init(parsing:), allowed: ToolCatalog.tiers)!)
            integer("expires_days", try args.integer("expires_days", in: Limits.expiresDays))
            let metadata = try args.stringMap("metadata", maxEntries: Limits.metadataEntries)
            if args.values["metadata"].map({ !$0.isNull }) ?? false { out["metadata"] = .map(metadata) }

        case "validate_license_key":
            string("key", try args.requiredString("key", maxLength: 256))
            string("feature_accessed", try args.string("feature_accessed", maxLength: Limits.featureBytes))

        case "revoke_license_key":
            try uuid("license_id", try args.requiredUUID("license_id"))
            string("reason", try args.string("reason", maxLength: Limits.reasonBytes))

        case "get_usage_history":
            try uuid("license_id", try args.requiredUUID("license_id"))
            integer("limit", try args.integer("limit", in: Limits.pageSize))
            string("cursor", try args.string("cursor", maxLength: 512))

        case "get_license_info":
            try uuid("license_id", try args.requiredUUID("license_id"))

        case "list_licenses":
            try uuid("owner_agent_id", try args.uuid("owner_agent_id"))
            choice("tier", try args.choice("tier", LicenseTier.init(parsing:), allowed: ToolCatalog.tiers))
            choice("status", try args.choice("status", LicenseStatus.init(rawValue:), allowed: LicenseStatus.allCases.map(\.rawValue)))
            integer("limit", try args.integer("limit", in: Limits.pageSize))
            string("cursor", try args.string("cursor", maxLength: 512))

        case "whoami":
            break

        case "checkout_license":
            string("key", try args.requiredString("key", maxLength: 256))
            integer("ttl_seconds", try args.integer("ttl_seconds", in: 3600...7_776_000))
            string("audience", try args.string("audience", maxLength: 256))
            string("fingerprint", try args.string("fingerprint", maxLength: 256))

        case "query_audit_log":
            string("event_type", try args.string("event_type", maxLength: 64))
            try uuid("agent_id", try args.uuid("agent_id"))
            date("since", try args.date("since"))
            date("until", try args.date("until"))
            choice("result", try args.choice("result", { ["ALLOW", "DENY"].contains($0) ? $0 : nil }, allowed: ["ALLOW", "DENY"]))
            integer("limit", try args.integer("limit", in: Limits.pageSize))
            string("cursor", try args.string("cursor", maxLength: 512))

        default:
            fatalError("a tool without decoding in the fuzz target: \(tool)")
        }
        return out
    }
}
