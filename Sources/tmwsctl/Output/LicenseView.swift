import Foundation
import TMWSStorage

/// A license record as `--json` prints it (never the key: it is not stored): the fields of MCP
/// `get_license_info`, plus `owner_name` and `revoked_by`.
struct LicenseView: Encodable {
    var licenseId: String
    var ownerAgentId: String
    @Null var ownerName: String?
    var namespace: String
    var tier: String
    var status: String
    var isPerpetual: Bool
    var isActive: Bool
    var issuedAt: Date
    @Null var expiresAt: Date?
    @Null var revokedAt: Date?
    @Null var revokedReason: String?
    @Null var revokedBy: String?
    @Null var lastValidatedAt: Date?
    var validationCount: Int64
    var metadata: [String: String]

    init(_ license: License, status: LicenseStatus, ownerName: String? = nil) {
        licenseId = license.id.canonicalText
        ownerAgentId = license.ownerID.canonicalText
        self.ownerName = ownerName
        namespace = license.namespace
        tier = license.tier
        self.status = status.rawValue
        isPerpetual = license.expiresAt == nil
        isActive = license.isActive
        issuedAt = license.issuedAt
        expiresAt = license.expiresAt
        revokedAt = license.revokedAt
        revokedReason = license.revokedReason
        revokedBy = license.revokedBy?.canonicalText
        lastValidatedAt = license.lastValidatedAt
        validationCount = license.validationCount
        metadata = license.metadata
    }

    var line: String {
        [licenseId, tier, status, namespace].map(TerminalText.field).joined(separator: "\t")
            + "\texpires \(expiresAt.map(JSONOutput.iso8601) ?? "never")"
    }

    /// The multi-line text of `license info`.
    var text: [String] {
        [
            "license_id:       \(licenseId)",
            "owner:            \(ownerName ?? ownerAgentId)",
            "namespace:        \(namespace)",
            "tier:             \(tier)",
            "status:           \(status)",
            "issued_at:        \(JSONOutput.iso8601(issuedAt))",
            "expires_at:       \(expiresAt.map(JSONOutput.iso8601) ?? "never (perpetual)")",
            "revoked_at:       \(revokedAt.map(JSONOutput.iso8601) ?? "-")\(revokedReason.map { " (\($0))" } ?? "")",
            "last_validated:   \(lastValidatedAt.map(JSONOutput.iso8601) ?? "never")",
            "validation_count: \(validationCount)",
        ]
    }
}

/// One usage row as `--json` prints it.
struct UsageView: Encodable {
    var id: Int64
    @Null var licenseId: String?
    var agentId: String
    var validatedAt: Date
    var valid: Bool
    @Null var featureAccessed: String?
    @Null var failureReason: String?

    init(_ record: UsageRecord) {
        id = record.id
        licenseId = record.licenseID?.canonicalText
        agentId = record.agentID.canonicalText
        validatedAt = record.validatedAt
        valid = record.valid
        featureAccessed = record.featureAccessed
        failureReason = record.failureReason
    }

    var line: String {
        [JSONOutput.iso8601(validatedAt), valid ? "VALID" : failureReason ?? "INVALID", "agent " + agentId, featureAccessed ?? "-"]
            .map(TerminalText.field).joined(separator: "\t")
    }
}
