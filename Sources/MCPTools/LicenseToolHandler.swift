import Foundation
import Logging
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSRBAC
import TMWSStorage

/// Executes tool calls: authenticates the caller's API key on every call, checks the arguments
/// against the tool's schema, calls the services (`LicenseService`,
/// `AgentAdministration` for `whoami`, `AuditService` for the
/// audit log), and maps the outcome to a
/// tool result. Domain failures are `isError` results with DESIGN.md's codes; nothing here decides
/// who may do what.
///
/// ``tools`` is the catalog as values: each tool's declaration from ``ToolCatalog`` with the
/// closure that runs it.
public struct LicenseToolHandler: Sendable {
    let service: LicenseService
    let agents: AgentAdministration
    let audit: AuditService
    let authenticator: APIKeyAuthenticator
    let clock: @Sendable () -> Date
    let logger: Logger
    /// The failed authentications of this handler's tool calls (counted and logged at warning).
    public let authenticationFailures = AuthenticationFailures()

    public init(
        licenses: LicenseService, agents: AgentAdministration, audit: AuditService, authenticator: APIKeyAuthenticator,
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "tmws.mcp")
    ) {
        self.service = licenses
        self.agents = agents
        self.audit = audit
        self.authenticator = authenticator
        self.clock = clock
        self.logger = logger
    }

    /// The tools of a deployment, over its services and authenticator.
    public init(deployment: Deployment, clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "tmws.mcp")) {
        self.init(
            licenses: deployment.licenses, agents: deployment.agents, audit: deployment.audit,
            authenticator: deployment.authenticator, clock: clock, logger: logger)
    }

    /// The tools, in listing order (the five license tools first).
    public var tools: [MCPTool] {
        typealias Limits = ServiceLimits
        let service = self.service, agents = self.agents, audit = self.audit, clock = self.clock
        return [
            tool(ToolCatalog.generateLicenseKey) { args, principal in
                let tier = try args.choice("tier", required: true, LicenseTier.init(parsing:), allowed: ToolCatalog.tiers)!
                let generated = try await service.generateLicenseKey(
                    as: principal, tier: tier, expiresDays: try args.integer("expires_days", in: Limits.expiresDays),
                    metadata: try args.stringMap("metadata", maxEntries: Limits.metadataEntries))
                return ToolResults.generated(generated)
            },
            keyedTool(ToolCatalog.validateLicenseKey) { args, apiKey in try await validate(args, apiKey: apiKey) },
            tool(ToolCatalog.revokeLicenseKey) { args, principal in
                let result = try await service.revokeLicenseKey(
                    as: principal, id: try args.requiredUUID("license_id"),
                    reason: try args.string("reason", maxLength: Limits.reasonBytes))
                return ToolResults.revocation(result)
            },
            tool(ToolCatalog.getUsageHistory) { args, principal in
                let id = try args.requiredUUID("license_id")
                let page = try await service.usageHistory(
                    as: principal, licenseID: id, limit: try args.integer("limit", in: Limits.pageSize) ?? 100,
                    cursor: try args.string("cursor", maxLength: 512))
                return ToolResults.usage(page, licenseID: id)
            },
            tool(ToolCatalog.getLicenseInfo) { args, principal in
                ToolResults.info(try await service.licenseInfo(as: principal, id: try args.requiredUUID("license_id")), now: clock())
            },
            tool(ToolCatalog.listLicenses) { args, principal in
                let filter = LicenseFilter(
                    ownerID: try args.uuid("owner_agent_id"),
                    tier: try args.choice("tier", LicenseTier.init(parsing:), allowed: ToolCatalog.tiers)?.rawValue,
                    status: try args.choice("status", LicenseStatus.init(rawValue:), allowed: LicenseStatus.allCases.map(\.rawValue)))
                let page = try await service.listLicenses(
                    as: principal, filter: filter, limit: try args.integer("limit", in: Limits.pageSize) ?? 100,
                    cursor: try args.string("cursor", maxLength: 512))
                return ToolResults.licenses(page, now: clock())
            },
            tool(ToolCatalog.whoami) { _, principal in
                ToolResults.agent(try await agents.whoami(as: principal))
            },
            keyedTool(ToolCatalog.checkoutLicense) { args, apiKey in try await checkout(args, apiKey: apiKey) },
            tool(ToolCatalog.queryAuditLog) { args, principal in
                let filter = AuditFilter(
                    eventType: try args.string("event_type", maxLength: 64).map(AuditEventType.init(rawValue:)), userID: try args.uuid("agent_id"),
                    since: try args.date("since"), until: try args.date("until"),
                    result: try args.choice("result", { ["ALLOW", "DENY"].contains($0) ? $0 : nil }, allowed: ["ALLOW", "DENY"]))
                let page = try await audit.events(
                    as: principal, filter: filter, limit: try args.integer("limit", in: Limits.pageSize) ?? 100,
                    cursor: try args.string("cursor", maxLength: 512))
                return ToolResults.audit(page)
            },
        ]
    }

    /// The API key's owner (its agent id), for binding legacy HTTP sessions; `nil` when the key is not valid.
    public func owner(ofAPIKey apiKey: String) async -> String? {
        guard let principal = try? await authenticator.authenticate(apiKey) else { return nil }
        return principal.agentID.uuidString.lowercased()
    }

    /// A tool whose body runs as an authenticated principal.
    private func tool(
        _ definition: Tool, _ body: @escaping @Sendable (ToolArguments, Principal) async throws -> ToolResult
    ) -> MCPTool {
        keyedTool(definition) { args, apiKey in try await body(args, try await authenticate(apiKey)) }
    }

    /// A tool whose body gets the caller's API key (present, not yet checked) and its arguments,
    /// checked against the tool's schema; every failure becomes a tool result.
    private func keyedTool(
        _ definition: Tool, _ body: @escaping @Sendable (ToolArguments, String) async throws -> ToolResult
    ) -> MCPTool {
        let allowed = ToolCatalog.argumentNames(of: definition)
        let logger = self.logger
        let failures = authenticationFailures
        return MCPTool(definition) { arguments, context in
            do {
                let args = try ToolArguments(arguments, allowed: allowed)
                guard let apiKey = context.credential else { throw LicenseError(mapping: AccessError.noCredential) }
                guard apiKey != ToolCallContext.malformedCredential else {
                    throw LicenseError(mapping: AccessError.malformedAuthorization)
                }
                return try await body(args, apiKey)
            } catch let error as LicenseError {
                if error.code == .unauthenticated {
                    failures.record(tool: definition.name, credential: context.credential, reason: error.message, logger: logger)
                } else {
                    logger.debug("tool call failed", metadata: ["tool": "\(definition.name)", "code": "\(error.code)"])
                }
                return ToolResults.failure(error)
            } catch {
                return ToolResults.failure(LicenseError(mapping: error))
            }
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
    /// (`LicenseService.validateLicenseKey(apiKey:authenticator:key:featureAccessed:)`).
    /// An argument error is still reported only to an authenticated caller, as for every other tool.
    /// `checkout_license`: the API key, the active signing key and the validation in one storage step.
    private func checkout(_ args: ToolArguments, apiKey: String) async throws -> ToolResult {
        let key: String
        let ttl: Int?
        let audience: String?
        let fingerprint: String?
        do {
            key = try args.requiredString("key", maxLength: 256)
            ttl = try args.integer("ttl_seconds", in: 3600...7_776_000)
            audience = try args.string("audience", maxLength: 256)
            fingerprint = try args.string("fingerprint", maxLength: 256)
        } catch {
            _ = try await authenticate(apiKey)
            throw error
        }
        let (_, checkout) = try await service.checkoutLicense(
            apiKey: apiKey, authenticator: authenticator, key: key, ttl: ttl.map(TimeInterval.init), audience: audience,
            fingerprint: fingerprint)
        return ToolResults.checkout(checkout)
    }

    private func validate(_ args: ToolArguments, apiKey: String) async throws -> ToolResult {
        let key: String
        let featureAccessed: String?
        do {
            key = try args.requiredString("key", maxLength: 256)
            featureAccessed = try args.string("feature_accessed", maxLength: ServiceLimits.featureBytes)
        } catch {
            _ = try await authenticate(apiKey)
            throw error
        }
        let (_, result) = try await service.validateLicenseKey(
            apiKey: apiKey, authenticator: authenticator, key: key, featureAccessed: featureAccessed)
        return ToolResults.validation(result)
    }
}
