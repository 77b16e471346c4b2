import Foundation
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSRBAC
import TMWSStorage

/// Turns service results into tool results: `structuredContent` matching the output schema, plus a
/// short text rendering. Field names are snake_case; times are ISO 8601 UTC.
enum ToolResults {
    static func success(_ structured: [String: Value], text: String) -> ToolResult {
        .text(text, structured: .object(structured))
    }

    /// A domain failure: `isError: true` and `{"error": {"code", "message"}}`.
    static func failure(_ error: LicenseError) -> ToolResult {
        .text(
            "\(error.code.toolCode): \(error.message)",
            structured: ["error": ["code": .string(error.code.toolCode), "message": .string(error.message)]], isError: true)
    }

    static func time(_ date: Date?) -> Value { date.map { .string(Timestamp.iso8601($0)) } ?? .null }
    static func text(_ string: String?) -> Value { string.map { .string($0) } ?? .null }
    static func id(_ uuid: UUID?) -> Value { uuid.map { .string($0.canonicalText) } ?? .null }

    static func generated(_ generated: GeneratedLicense) -> ToolResult {
        let license = generated.license
        let expiry = license.expiresAt.map { "expires \(Timestamp.iso8601($0))" } ?? "perpetual"
        return success(
            [
                "license_key": .string(generated.key), "license_id": id(license.id), "tier": .string(license.tier),
                "issued_at": time(license.issuedAt), "expires_at": time(license.expiresAt),
                "is_perpetual": .bool(license.expiresAt == nil), "owner_agent_id": id(license.ownerID),
                "namespace": .string(license.namespace),
            ],
            text: "Generated \(license.tier) license \(license.id.canonicalText) (\(expiry)). Key: \(generated.key)")
    }

    static func validation(_ result: ValidationResult) -> ToolResult {
        var summary = result.code.rawValue
        if let tier = result.tier, let id = result.licenseID {
            summary += " — \(tier.rawValue) license \(id.canonicalText)"
            summary += result.expiresAt.map { ", expires \(Timestamp.iso8601($0))" } ?? ", perpetual"
        }
        return success(
            [
                "valid": .bool(result.valid), "code": .string(result.code.rawValue), "tier": text(result.tier?.rawValue),
                "license_id": id(result.licenseID), "expires_at": time(result.expiresAt),
                "is_perpetual": result.isPerpetual.map { .bool($0) } ?? .null, "validated_at": time(result.validatedAt),
            ], text: summary)
    }

    /// A checkout: the verdict, and for VALID the token, its key id and its expiry (`expires_at`;
    /// the license's own is `license_expires_at`).
    static func checkout(_ checkout: LicenseCheckout) -> ToolResult {
        let result = checkout.validation
        let summary =
            checkout.token == nil
            ? "\(result.code.rawValue): no token"
            : "VALID — token for license \(result.licenseID?.canonicalText ?? "?") signed by \(checkout.keyID ?? "?"), expires "
                + (checkout.expiresAt.map { Timestamp.iso8601($0) } ?? "?") + ". Token: " + (checkout.token ?? "")
        return success(
            [
                "valid": .bool(result.valid), "code": .string(result.code.rawValue), "tier": text(result.tier?.rawValue),
                "license_id": id(result.licenseID), "license_expires_at": time(result.expiresAt), "token": text(checkout.token),
                "kid": text(checkout.keyID), "expires_at": time(checkout.expiresAt), "validated_at": time(result.validatedAt),
            ], text: summary)
    }

    static func revocation(_ result: RevocationResult) -> ToolResult {
        let when = Timestamp.iso8601(result.revokedAt)
        return success(
            [
                "license_id": id(result.licenseID), "revoked_at": .string(when), "reason": text(result.reason),
                "already_revoked": .bool(result.alreadyRevoked),
            ],
            text: result.alreadyRevoked
                ? "License \(result.licenseID.canonicalText) was already revoked at \(when)."
                : "Revoked license \(result.licenseID.canonicalText) at \(when).")
    }

    static func usage(_ page: Page<UsageRecord>, licenseID: UUID) -> ToolResult {
        let items: [Value] = page.items.map { row in
            [
                "id": .int(Int(row.id)), "agent_id": id(row.agentID), "validated_at": time(row.validatedAt),
                "valid": .bool(row.valid), "feature_accessed": text(row.featureAccessed), "failure_reason": text(row.failureReason),
            ]
        }
        let valid = page.items.filter(\.valid).count
        return success(
            ["license_id": id(licenseID), "items": .array(items), "next_cursor": text(page.nextCursor)],
            text: "\(count(page.items.count, "attempt")) (\(valid) valid)" + (page.nextCursor == nil ? "." : "; more with next_cursor."))
    }

    static func record(_ license: License, now: Date) -> [String: Value] {
        [
            "license_id": id(license.id), "owner_agent_id": id(license.ownerID), "namespace": .string(license.namespace),
            "tier": .string(license.tier), "status": .string(license.status(at: now).rawValue),
            "issued_at": time(license.issuedAt), "expires_at": time(license.expiresAt),
            "is_perpetual": .bool(license.expiresAt == nil), "is_active": .bool(license.isActive),
            "revoked_at": time(license.revokedAt), "revoked_reason": text(license.revokedReason),
            "validation_count": .int(Int(license.validationCount)), "last_validated_at": time(license.lastValidatedAt),
            "metadata": .object(license.metadata.mapValues { .string($0) }),
        ]
    }

    static func info(_ info: LicenseInfo, now: Date) -> ToolResult {
        let license = info.license
        return success(
            record(license, now: now),
            text: "\(license.tier) license \(license.id.canonicalText): \(info.status.rawValue), \(count(license.validationCount, "validation"))")
    }

    static func licenses(_ page: Page<License>, now: Date) -> ToolResult {
        success(
            ["items": .array(page.items.map { .object(record($0, now: now)) }), "next_cursor": text(page.nextCursor)],
            text: count(page.items.count, "license") + (page.nextCursor == nil ? "." : "; more with next_cursor."))
    }

    /// `1 license`, `2 licenses`.
    static func count(_ n: some BinaryInteger, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func agent(_ agent: Agent) -> ToolResult {
        let permissions = Role(parsing: agent.role)?.permissions.map(\.rawValue).sorted() ?? []
        return success(
            [
                "agent_id": id(agent.id), "name": .string(agent.name), "namespace": .string(agent.namespace),
                "role": .string(agent.role), "tier": .string(agent.tier), "status": .string(agent.status.rawValue),
                "permissions": .array(permissions.map { .string($0) }),
            ], text: "\(agent.name) (\(agent.role)) in namespace \(agent.namespace)")
    }

    static func audit(_ page: Page<AuditEvent>) -> ToolResult {
        let items: [Value] = page.items.map { event in
            [
                "id": .int(Int(event.id)), "event_type": .string(event.eventType.rawValue), "severity": .string(event.severity.rawValue),
                "user_id": id(event.userID), "details": .object(event.details.mapValues { .string($0) }),
                "created_at": time(event.createdAt),
            ]
        }
        return success(
            ["items": .array(items), "next_cursor": text(page.nextCursor)],
            text: count(page.items.count, "audit event") + (page.nextCursor == nil ? "." : "; more with next_cursor."))
    }
}
