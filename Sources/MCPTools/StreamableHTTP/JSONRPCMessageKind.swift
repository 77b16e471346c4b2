import Foundation

/// What a raw JSON-RPC message is, as far as routing it needs.
///
/// Adapted from the MCP Swift SDK 0.12.1 `JSONRPCMessageKind` (MIT licence), which is
/// package-internal to the SDK; the rules are the same, so that messages are routed as the SDK
/// transport routes them: a JSON object with a string `method` is a request when it has a string or
/// integer `id` and a notification otherwise; one with `result` or `error` and such an id is a
/// response; anything else (an array, a fragment, invalid JSON) is nothing.
enum JSONRPCMessageKind: Equatable, Sendable {
    case request(id: String, method: String)
    case notification(method: String)
    case response(id: String)

    /// Classifies raw JSON-RPC data; `nil` when it is not a message the transport can route.
    init?(data: Data) {
        guard let object = Self.object(data) else { return nil }
        self.init(object: object)
    }

    /// Classifies a decoded JSON object.
    init?(object: [String: Any]) {
        let id = Self.id(in: object)
        if let method = object["method"] as? String {
            self = id.map { .request(id: $0, method: method) } ?? .notification(method: method)
        } else if object["result"] != nil || object["error"] != nil, let id {
            self = .response(id: id)
        } else {
            return nil
        }
    }

    /// Whether this is an `initialize` request.
    var isInitializeRequest: Bool {
        if case .request(_, "initialize") = self { return true }
        return false
    }

    /// The JSON object in `data`, or `nil` when it is not one.
    static func object(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// The protocol version an `initialize` request's params ask for.
    static func requestedProtocolVersion(in object: [String: Any]) -> String? {
        (object["params"] as? [String: Any])?["protocolVersion"] as? String
    }

    private static func id(in object: [String: Any]) -> String? {
        if let id = object["id"] as? String { return id }
        if let id = object["id"] as? Int { return String(id) }
        return nil
    }
}
