import Foundation
import TMWSStorage

/// An audit event as `--json`, JSON Lines and CSV print it.
struct AuditView: Encodable {
    var id: Int64
    var eventType: String
    var severity: String
    @Null var userId: String?
    @Null var agentName: String?
    var details: [String: String]
    var createdAt: Date

    init(_ event: AuditEvent, agentName: String?) {
        id = event.id
        eventType = event.eventType.rawValue
        severity = event.severity.rawValue
        userId = event.userID?.canonicalText
        self.agentName = agentName
        details = event.details
        createdAt = event.createdAt
    }

    var line: String {
        let detail = details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return [JSONOutput.iso8601(createdAt), eventType, severity, agentName ?? userId ?? "-", detail]
            .map(TerminalText.field).joined(separator: "\t")
    }

    static let csvHeader = "id,created_at,event_type,severity,user_id,agent_name,details"

    var csvLine: String {
        let detailsJSON = (try? JSONOutput.line(details)) ?? "{}"
        return [String(id), JSONOutput.iso8601(createdAt), eventType, severity, userId ?? "", agentName ?? "", detailsJSON]
            .map(Self.csvField).joined(separator: ",")
    }

    /// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so that spreadsheets do not evaluate it.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
