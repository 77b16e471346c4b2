import MCP
import TMWSLicenseCore

/// The tools `mcp-server` serves. Names are the contract of DESIGN.md.
public enum ToolCatalog {
    static let tiers = LicenseTier.allCases.map(\.rawValue)

    public static let generateLicenseKey = Tool(
        name: "generate_license_key", title: "Generate a license key",
        description: """
            Issue a new signed license key owned by the caller, in the caller's namespace (editor or admin). \
            The key is returned once and is not stored; keep it. Omit expires_days for a perpetual license.
            """,
        inputSchema: Schema.object(
            [
                "tier": Schema.enumeration("license tier (any letter case)", tiers),
                "expires_days": Schema.integer("days until expiry (30–3650); omit for perpetual", ServiceLimits.expiresDays),
                "metadata": [
                    "type": "object", "description": "free-form string metadata stored with the license",
                    "additionalProperties": ["type": "string", "maxLength": .int(ServiceLimits.metadataValueBytes)],
                    "maxProperties": .int(ServiceLimits.metadataEntries),
                ],
            ], required: ["tier"]),
        annotations: .init(title: "Generate a license key", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false),
        outputSchema: Schema.output(
            [
                "license_key": ["type": "string"], "license_id": ["type": "string"], "tier": ["type": "string"],
                "issued_at": Schema.timestamp, "expires_at": Schema.nullableTimestamp, "is_perpetual": ["type": "boolean"],
                "owner_agent_id": ["type": "string"], "namespace": ["type": "string"],
            ], required: ["license_key", "license_id", "tier", "issued_at", "expires_at", "is_perpetual"]))

    public static let validateLicenseKey = Tool(
        name: "validate_license_key", title: "Validate a license key",
        description: """
            Check a license key's signature, expiry and revocation (any role) and record the attempt. \
            code is VALID, MALFORMED, NOT_FOUND, BAD_SIGNATURE, EXPIRED or REVOKED.
            """,
        inputSchema: Schema.object(
            [
                "key": Schema.string("the license key, TMWS-{TIER}-{UUID}-{CHECKSUM} (spaces and line breaks around it are ignored)", maxLength: 256),
                "feature_accessed": Schema.string("the feature about to be used, recorded with the attempt", maxLength: ServiceLimits.featureBytes),
            ], required: ["key"]),
        annotations: .init(title: "Validate a license key", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false),
        outputSchema: Schema.output(
            [
                "valid": ["type": "boolean"], "code": Schema.enumeration("verdict", VerdictCode.allCases.map(\.rawValue)),
                "tier": Schema.nullableString, "license_id": Schema.nullableUUID, "expires_at": Schema.nullableTimestamp,
                "is_perpetual": ["type": ["boolean", "null"]], "validated_at": Schema.timestamp,
            ], required: ["valid", "code", "tier", "license_id", "expires_at", "is_perpetual"]))

    public static let revokeLicenseKey = Tool(
        name: "revoke_license_key", title: "Revoke a license",
        description: """
            Revoke a license immediately (admin). Idempotent: revoking again reports already_revoked and keeps \
            the first revocation's time and reason. An unknown id is NOT_FOUND.
            """,
        inputSchema: Schema.object(
            [
                "license_id": Schema.uuid("the license id (the UUID inside the key)"),
                "reason": Schema.string("why the license is revoked", maxLength: ServiceLimits.reasonBytes),
            ], required: ["license_id"]),
        annotations: .init(title: "Revoke a license", readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false),
        outputSchema: Schema.output(
            [
                "license_id": ["type": "string"], "revoked_at": Schema.timestamp, "reason": Schema.nullableString,
                "already_revoked": ["type": "boolean"],
            ], required: ["license_id", "revoked_at", "reason", "already_revoked"]))

    public static let getUsageHistory = Tool(
        name: "get_usage_history", title: "License usage history",
        description: "A license's validation attempts, newest first, with keyset pagination (the owner, or an admin).",
        inputSchema: Schema.object(
            ["license_id": Schema.uuid("the license id"), "limit": Schema.limit, "cursor": Schema.cursor], required: ["license_id"]),
        annotations: .init(title: "License usage history", readOnlyHint: true, openWorldHint: false),
        outputSchema: Schema.page(
            of: [
                "type": "object",
                "properties": [
                    "id": ["type": "integer"], "agent_id": ["type": "string"], "validated_at": Schema.timestamp,
                    "valid": ["type": "boolean"], "feature_accessed": Schema.nullableString, "failure_reason": Schema.nullableString,
                ],
                "required": ["id", "agent_id", "validated_at", "valid"],
            ], extra: ["license_id": ["type": "string"]]))

    public static let getLicenseInfo = Tool(
        name: "get_license_info", title: "License details",
        description: "A license's record and status: active, expired or revoked (the owner, or an admin).",
        inputSchema: Schema.object(["license_id": Schema.uuid("the license id")], required: ["license_id"]),
        annotations: .init(title: "License details", readOnlyHint: true, openWorldHint: false),
        outputSchema: Schema.output(
            (Schema.licenseRecord.objectValue?["properties"]?.objectValue) ?? [:],
            required: ["license_id", "status", "tier", "expires_at"]))

    public static let listLicenses = Tool(
        name: "list_licenses", title: "List licenses",
        description: "Licenses the caller may see, newest first: its own, or any for an admin (with filters).",
        inputSchema: Schema.object([
            "tier": Schema.enumeration("only this tier (any letter case)", tiers),
            "status": Schema.enumeration("only this status (any letter case)", ["active", "expired", "revoked"]),
            "owner_agent_id": Schema.uuid("only licenses of this owner (admins; others may name only themselves)"),
            "limit": Schema.limit, "cursor": Schema.cursor,
        ]),
        annotations: .init(title: "List licenses", readOnlyHint: true, openWorldHint: false),
        outputSchema: Schema.page(of: Schema.licenseRecord))

    public static let whoami = Tool(
        name: "whoami", title: "Who am I",
        description: "The calling agent as the server sees it: name, namespace, role, tier and permissions.",
        inputSchema: Schema.object([:]),
        annotations: .init(title: "Who am I", readOnlyHint: true, openWorldHint: false),
        outputSchema: Schema.output(
            [
                "agent_id": ["type": "string"], "name": ["type": "string"], "namespace": ["type": "string"],
                "role": ["type": "string"], "tier": ["type": "string"], "status": ["type": "string"],
                "permissions": ["type": "array", "items": ["type": "string"]],
            ], required: ["agent_id", "name", "namespace", "role", "permissions"]))

    public static let queryAuditLog = Tool(
        name: "query_audit_log", title: "Query the audit log",
        description: "Security audit events, newest first, with filters (admin).",
        inputSchema: Schema.object([
            "event_type": Schema.string("e.g. permission_check, license_generated, license_revoked, role_changed", maxLength: 64),
            "result": Schema.enumeration("permission check result (any letter case)", ["ALLOW", "DENY"]),
            "agent_id": Schema.uuid("only events about this agent"),
            "since": Schema.string("ISO 8601 UTC lower bound (inclusive)", maxLength: 40),
            "until": Schema.string("ISO 8601 UTC upper bound (exclusive)", maxLength: 40),
            "limit": Schema.limit, "cursor": Schema.cursor,
        ]),
        annotations: .init(title: "Query the audit log", readOnlyHint: true, openWorldHint: false),
        outputSchema: Schema.page(of: [
            "type": "object",
            "properties": [
                "id": ["type": "integer"], "event_type": ["type": "string"], "severity": ["type": "string"],
                "user_id": Schema.nullableString, "details": ["type": "object"], "created_at": Schema.timestamp,
            ],
            "required": ["id", "event_type", "created_at", "details"],
        ]))

    public static let checkoutLicense = Tool(
        name: "checkout_license", title: "Check out an offline license token",
        description: """
            Validate a license key exactly as validate_license_key does (any role; recorded with feature_accessed \
            "checkout") and, only when it is VALID, return a signed license token (JWS, EdDSA/Ed25519) that an app \
            verifies offline against the deployment's /.well-known/jwks.json. The token expires after ttl_seconds \
            (default 7 days) and never after the license; a revoked license cannot be checked out again.
            """,
        inputSchema: Schema.object(
            [
                "key": Schema.string("the license key (spaces and line breaks around it are ignored)", maxLength: 256),
                "ttl_seconds": Schema.integer("the token's lifetime in seconds, 1 hour to 90 days", 3600...7_776_000, default: 604_800),
                "audience": Schema.string("the aud claim: who the token is for (printable ASCII)", maxLength: 256),
                "fingerprint": Schema.string("bind the token to this machine fingerprint (printable ASCII)", maxLength: 256),
            ], required: ["key"]),
        annotations: .init(
            title: "Check out an offline license token", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false),
        outputSchema: Schema.output(
            [
                "valid": ["type": "boolean"], "code": Schema.enumeration("verdict", VerdictCode.allCases.map(\.rawValue)),
                "tier": Schema.nullableString, "license_id": Schema.nullableUUID, "license_expires_at": Schema.nullableTimestamp,
                "token": Schema.nullableString, "kid": Schema.nullableString, "expires_at": Schema.nullableTimestamp,
                "validated_at": Schema.timestamp,
            ], required: ["valid", "code", "token", "kid", "expires_at"]))

    /// Every tool, in listing order (the five license tools first).
    public static let all: [Tool] = [
        generateLicenseKey, validateLicenseKey, revokeLicenseKey, getUsageHistory, getLicenseInfo, listLicenses, whoami,
        queryAuditLog, checkoutLicense,
    ]

    /// The argument names a tool accepts (its schema's properties).
    static func argumentNames(of tool: Tool) -> Set<String> {
        Set(tool.inputSchema.objectValue?["properties"]?.objectValue?.keys.map { $0 } ?? [])
    }
}
