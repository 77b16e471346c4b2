import Foundation
import MCP

/// The per-request protocol fields of a modern request (`params._meta`, MCP 2026-07-28
/// `basic/index.mdx`): its protocol version, the client's capabilities, and optionally who the
/// client says it is and the log level it wants.
public struct RequestMeta: Sendable, Equatable {
    public let protocolVersion: String
    public let clientCapabilities: [String: Value]
    /// Self-reported; for display and logs only, never for decisions.
    public let clientName: String?
    public let clientVersion: String?

    /// The most bytes of `_meta` accepted (its JSON size, roughly).
    public static let maximumBytes = 16 * 1024
    static let logLevels: Set<String> = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

    /// The request's modern metadata: `nil` when `params._meta` carries no protocol version (a
    /// legacy request), or an `invalidParams` error (`-32602`) when it is malformed.
    public static func parse(_ params: [String: Value]?) throws(RPCError) -> RequestMeta? {
        guard let raw = params?["_meta"] else { return nil }
        guard case .object(let meta) = raw else { throw invalid("params._meta must be an object") }
        guard let version = meta[MCPProtocol.protocolVersionKey] else { return nil }
        guard Self.size(of: raw, budget: maximumBytes) <= maximumBytes else {
            throw invalid("params._meta is larger than \(maximumBytes) bytes")
        }
        guard case .string(let protocolVersion) = version, !protocolVersion.isEmpty, protocolVersion.utf8.count <= 64 else {
            throw invalid("\(MCPProtocol.protocolVersionKey) must be a non-empty string of at most 64 bytes")
        }
        guard case .object(let capabilities) = meta[MCPProtocol.clientCapabilitiesKey] else {
            throw invalid("\(MCPProtocol.clientCapabilitiesKey) is required and must be an object")
        }
        var name: String?
        var clientVersion: String?
        if let info = meta[MCPProtocol.clientInfoKey] {
            guard case .object(let fields) = info, case .string(let n) = fields["name"], case .string(let v) = fields["version"] else {
                throw invalid("\(MCPProtocol.clientInfoKey) must be an object with string name and version")
            }
            name = n
            clientVersion = v
        }
        if let level = meta[MCPProtocol.logLevelKey] {
            guard case .string(let text) = level, logLevels.contains(text) else {
                throw invalid("\(MCPProtocol.logLevelKey) must be a logging level such as \"info\"")
            }
        }
        return RequestMeta(protocolVersion: protocolVersion, clientCapabilities: capabilities, clientName: name, clientVersion: clientVersion)
    }

    private static func invalid(_ message: String) -> RPCError {
        RPCError(code: MCPProtocol.ErrorCode.invalidParams, message: "Invalid params: \(message)")
    }

    /// The approximate JSON size of `value`, counting no further than `budget`.
    static func size(of value: Value, budget: Int) -> Int {
        var total = 0
        var stack: [Value] = [value]
        while let next = stack.popLast(), total <= budget {
            switch next {
            case .null, .bool, .int, .double: total += 8
            case .string(let text): total += text.utf8.count + 2
            case .data(_, let data): total += data.count * 4 / 3 + 16
            case .array(let items):
                total += 2 + items.count
                stack.append(contentsOf: items)
            case .object(let fields):
                total += 2
                for (key, item) in fields {
                    total += key.utf8.count + 4
                    stack.append(item)
                }
            }
        }
        return total
    }
}
