import Foundation
import Logging
import MCP
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// Executes tool calls: authenticates the caller's API key on every call, checks the arguments
/// against the tool's schema, calls ``TMWSLicenseCore/LicenseService``, and maps the outcome to a
/// tool result. Domain failures are `isError` results with DESIGN.md's codes; nothing here decides
/// who may do what.
public struct LicenseToolHandler: Sendable {
    let service: LicenseService
    let authenticator: APIKeyAuthenticator
    let clock: @Sendable () -> Date
    let logger: Logger

    public init(
        service: LicenseService, authenticator: APIKeyAuthenticator, clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "tmws.mcp")
    ) {
        self.service = service
        self.authenticator = authenticator
        self.clock = clock
        self.logger = logger
    }

    /// Runs one tool call.
    /// - Parameter apiKey: the caller's agent API key (from `TMWS_API_KEY` or the `Authorization` header), if any.
    /// - Throws: `MCPError.invalidParams` for a tool this server does not have.
    public func call(_ name: String, arguments: [String: Value]?, apiKey: String?) async throws -> CallTool.Result {
        guard let tool = ToolCatalog.all.first(where: { $0.name == name }) else {
            throw MCPError.invalidParams("Unknown tool: \(name.prefix(64))")
        }
        do {
            let args = try ToolArguments(arguments, allowed: ToolCatalog.argumentNames(of: tool))
            guard let apiKey, !apiKey.isEmpty else { throw LicenseError(.unauthenticated, AccessError.unauthenticated.message) }
            if tool.name == "validate_license_key" { return try await validate(args, apiKey: apiKey) }
            return try await dispatch(tool.name, args, try await authenticate(apiKey))
        } catch let error as LicenseError {
            logger.debug("tool call failed", metadata: ["tool": "\(tool.name)", "code": "\(error.code)"])
            return ToolResults.failure(error)
        } catch {
            return ToolResults.failure(LicenseError(mapping: error))
        }
    }

    private func authenticate(_ apiKey: String) async throws(LicenseError) -> Principal {
        do {
            return try await authenticator.authenticate(apiKey)
        } catch {
            throw LicenseError(mapping: error)
        }
    }

    /// The hot path: authentication and validation in one storage step
    /// (``TMWSLicenseCore/LicenseService/validateLicenseKey(apiKey:authenticator:key:featureAccessed:)``).
    /// An argument error is still reported only to an authenticated caller, as for every other tool.
    private func validate(_ args: ToolArguments, apiKey: String) async throws -> CallTool.Result {
        let key: String
        let featureAccessed: String?
        do {
            key = try args.requiredString("key", maxLength: 256)
            featureAccessed = try args.string("feature_accessed", maxLength: LicenseService.Limits.featureBytes)
        } catch {
            _ = try await authenticate(apiKey)
            throw error
        }
        let (_, result) = try await service.validateLicenseKey(
            apiKey: apiKey, authenticator: authenticator, key: key, featureAccessed: featureAccessed)
        return ToolResults.validation(result)
    }

    private func dispatch(_ name: String, _ args: ToolArguments, _ principal: Principal) async throws -> CallTool.Result {
        typealias Limits = LicenseService.Limits
        switch name {
        case "generate_license_key":
            let tier = try args.choice("tier", required: true, LicenseTier.init(parsing:), allowed: ToolCatalog.tiers)!
            let generated = try await service.generateLicenseKey(
                as: principal, tier: tier, expiresDays: try args.integer("expires_days", in: Limits.expiresDays),
                metadata: try args.stringMap("metadata", maxEntries: Limits.metadataEntries))
            return ToolResults.generated(generated)

        case "revoke_license_key":
            let result = try await service.revokeLicenseKey(
                as: principal, id: try args.requiredUUID("license_id"), reason: try args.string("reason", maxLength: Limits.reasonBytes))
            return ToolResults.revocation(result)

        case "get_usage_history":
            let id = try args.requiredUUID("license_id")
            let page = try await service.usageHistory(
                as: principal, licenseID: id, limit: try args.integer("limit", in: Limits.pageSize) ?? 100,
                cursor: try args.string("cursor", maxLength: 512))
            return ToolResults.usage(page, licenseID: id)

        case "get_license_info":
            return ToolResults.info(try await service.licenseInfo(as: principal, id: try args.requiredUUID("license_id")), now: clock())

        case "list_licenses":
            let filter = LicenseFilter(
                ownerID: try args.uuid("owner_agent_id"),
                tier: try args.choice("tier", LicenseTier.init(parsing:), allowed: ToolCatalog.tiers)?.rawValue,
                status: try args.choice("status", LicenseStatus.init(rawValue:), allowed: LicenseStatus.allCases.map(\.rawValue)))
            let page = try await service.listLicenses(
                as: principal, filter: filter, limit: try args.integer("limit", in: Limits.pageSize) ?? 100,
                cursor: try args.string("cursor", maxLength: 512))
            return ToolResults.licenses(page, now: clock())

        case "whoami":
            return ToolResults.agent(try await service.whoami(as: principal))

        case "query_audit_log":
            let filter = AuditFilter(
                eventType: try args.string("event_type", maxLength: 64), userID: try args.uuid("agent_id"),
                since: try args.date("since"), until: try args.date("until"),
                result: try args.choice("result", { ["ALLOW", "DENY"].contains($0) ? $0 : nil }, allowed: ["ALLOW", "DENY"]))
            let page = try await service.auditLog(
                as: principal, filter: filter, limit: try args.integer("limit", in: Limits.pageSize) ?? 100,
                cursor: try args.string("cursor", maxLength: 512))
            return ToolResults.audit(page)

        default:
            throw MCPError.invalidParams("Unknown tool: \(name)")
        }
    }
}
