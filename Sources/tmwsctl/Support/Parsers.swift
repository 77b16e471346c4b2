import ArgumentParser
import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage

/// Input parsing shared by the commands. Every failure is a `ValidationError` (exit 2) that names
/// the accepted values.
enum Parse {
    static let roleNames = Role.allCases.map(\.rawValue)
    static let tierNames = LicenseTier.allCases.map(\.rawValue)

    /// A role: `viewer`, `editor`, `admin`, in any letter case (``InputName``, as over MCP).
    static func role(_ text: String) throws -> Role {
        guard let role = Role(inputName: text) else {
            throw ValidationError("unknown role '\(text.prefix(32))'; use one of \(roleNames.joined(separator: ", "))")
        }
        return role
    }

    /// A tier: `FREE`, `PRO`, `ENTERPRISE`, in any letter case (``InputName``, as over MCP).
    static func tier(_ text: String) throws -> LicenseTier {
        guard let tier = LicenseTier(inputName: text) else {
            throw ValidationError("unknown tier '\(text.prefix(32))'; use one of \(tierNames.joined(separator: ", "))")
        }
        return tier
    }

    static func uuid(_ text: String, what: String = "license id") throws -> UUID {
        // Not `UUID(uuidString:)`: on Linux it reads each byte with sscanf, which takes a space, a
        // sign or a dash for a digit ("+50e8400-…" would name 050e8400-…). Canonical text only, any case.
        guard let id = UUID(canonicalText: text.lowercased()) else {
            throw ValidationError("malformed \(what) '\(text.prefix(64))'; expected a UUID such as 550e8400-e29b-41d4-a716-446655440000")
        }
        return id
    }

    static func status(_ text: String) throws -> LicenseStatus {
        guard let status = LicenseStatus(inputName: text) else {
            throw ValidationError("unknown status '\(text.prefix(32))'; use active, expired or revoked")
        }
        return status
    }

    static func agentStatus(_ text: String) throws -> AgentStatus {
        guard let status = InputName.match(text, among: ["active", "suspended"]).map(AgentStatus.init(rawValue:)) else {
            throw ValidationError("unknown agent status '\(text.prefix(32))'; use active or suspended")
        }
        return status
    }

    static func auditResult(_ text: String) throws -> String {
        guard let result = InputName.match(text, among: ["ALLOW", "DENY"]) else {
            throw ValidationError("unknown result '\(text.prefix(32))'; use ALLOW or DENY")
        }
        return result
    }

    /// A duration such as `90s`, `30m`, `1h`, `7d` or `2w`, in seconds.
    static func duration(_ text: String) throws -> TimeInterval {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()), value > 0, value.isFinite else {
            throw ValidationError("malformed duration '\(text.prefix(32))'; use a number and a unit, e.g. 90s, 30m, 1h, 7d")
        }
        return value * scale
    }

    /// `--since`: a duration ago (`1h`) or an ISO 8601 time (`2026-11-26T14:00:00Z`).
    static func since(_ text: String, now: Date = Date()) throws -> Date {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        guard let seconds = try? duration(text) else {
            throw ValidationError("malformed --since '\(text.prefix(40))'; use a duration such as 1h or 7d, or an ISO 8601 time")
        }
        return now.addingTimeInterval(-seconds)
    }
}
