import Foundation
import MCP

/// One JSON-RPC message from a client, decoded and classified before anything acts on it.
///
/// Everything a client controls is bounded here, before any of it could be echoed: a method name
/// longer than ``maximumMethodLength``, an id that is not a string (of at most
/// ``RequestID/maximumLength`` bytes) or an integer, `params` that are not an object. An answer
/// never repeats the method name.
public enum IncomingMessage: Sendable {
    /// A request: it has an id and wants an answer.
    case request(Request)
    /// A notification: no id, no answer.
    case notification(method: String, params: [String: Value]?)
    /// A response or an error object from the client (this server sends no requests: ignored).
    case response
    /// Not a message this server can act on; answered with `error` (carrying the id when it was readable).
    case invalid(RPCError, id: RequestID?)

    /// The longest method name accepted.
    public static let maximumMethodLength = 128

    /// A request's routing fields and parameters.
    public struct Request: Sendable {
        public let id: RequestID
        public let method: String
        /// The `params` object, if any.
        public let params: [String: Value]?

        public init(id: RequestID, method: String, params: [String: Value]?) {
            self.id = id
            self.method = method
            self.params = params
        }
    }

    /// Decodes and classifies one message.
    public static func parse(_ body: Data) -> IncomingMessage {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: body)
        } catch {
            return .invalid(RPCError(code: MCPProtocol.ErrorCode.parseError, message: "Parse error: the body is not a JSON-RPC object"), id: nil)
        }
        let readableID: RequestID? = if case .valid(let id) = envelope.id { id } else { nil }
        func invalid(_ message: String) -> IncomingMessage {
            .invalid(RPCError(code: MCPProtocol.ErrorCode.invalidRequest, message: "Invalid Request: \(message)"), id: readableID)
        }
        if envelope.undecodableText {
            return .invalid(RPCError(code: MCPProtocol.ErrorCode.parseError, message: "Parse error: the body holds text that is not valid Unicode"), id: readableID)
        }
        guard envelope.jsonrpc == "2.0" else { return invalid("jsonrpc must be \"2.0\"") }
        guard let method = envelope.method else {
            if envelope.hasOutcome, case .valid = envelope.id { return .response }
            return invalid("a request needs a string method")
        }
        guard method.utf8.count <= maximumMethodLength else {
            return invalid("the method name is longer than \(maximumMethodLength) bytes")
        }
        if envelope.hasOutcome { return invalid("a request cannot carry a result or an error") }
        if envelope.paramsNotObject { return invalid("params must be an object") }
        switch envelope.id {
        case .absent:
            return .notification(method: method, params: envelope.params)
        case .unreadable:
            return .invalid(
                RPCError(
                    code: MCPProtocol.ErrorCode.invalidRequest,
                    message: "Invalid Request: the id must be a string of at most \(RequestID.maximumLength) bytes or an integer"),
                id: nil)
        case .valid(let id):
            return .request(Request(id: id, method: method, params: envelope.params))
        }
    }

    private enum IDField {
        case absent, unreadable, valid(RequestID)
    }

    private struct Envelope: Decodable {
        enum CodingKeys: String, CodingKey { case jsonrpc, id, method, params, result, error }

        let jsonrpc: String?
        let id: IDField
        let method: String?
        let params: [String: Value]?
        let paramsNotObject: Bool
        let hasOutcome: Bool
        let undecodableText: Bool

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            jsonrpc = try? container.decode(String.self, forKey: .jsonrpc)
            if !container.contains(.id) {
                id = .absent
            } else if let number = try? container.decode(Int.self, forKey: .id) {
                id = .valid(.number(number))
            } else if let text = try? container.decode(String.self, forKey: .id), text.utf8.count <= RequestID.maximumLength {
                id = .valid(.string(text))
            } else {
                id = .unreadable
            }
            method = try? container.decode(String.self, forKey: .method)
            // A member that does not even decode as a JSON value holds broken text (invalid
            // UTF-8, a lone surrogate escape): the body is unreadable, not a wrong request.
            func broken(_ key: CodingKeys) -> Bool { (try? container.decode(DecodedValue.self, forKey: key)) == nil }
            var undecodable = container.contains(.method) && method == nil && broken(.method)
            if container.contains(.params), (try? container.decodeNil(forKey: .params)) != true {
                let object = (try? container.decode([String: DecodedValue].self, forKey: .params))?.mapValues(\.value)
                params = object
                let unreadable = object == nil && broken(.params)
                paramsNotObject = object == nil && !unreadable
                undecodable = undecodable || unreadable
            } else {
                params = nil
                paramsNotObject = false
            }
            undecodableText = undecodable
            hasOutcome = container.contains(.result) || container.contains(.error)
        }
    }
}

/// A JSON-RPC error object.
public struct RPCError: Error, Sendable, Equatable {
    public let code: Int
    public let message: String
    /// The error's `data` member as JSON text, if any.
    public let dataJSON: String?

    public init(code: Int, message: String, dataJSON: String? = nil) {
        self.code = code
        self.message = message
        self.dataJSON = dataJSON
    }

    /// The error object as JSON text.
    var json: String {
        var text = "{\"code\":\(code),\"message\":\(JSONText.quoted(message))"
        if let dataJSON { text += ",\"data\":\(dataJSON)" }
        return text + "}"
    }
}

/// Builds JSON-RPC answers as bytes.
public enum JSONRPCAnswer {
    /// `{"jsonrpc":"2.0","id":…,"result":…}` around a result already encoded as JSON.
    public static func result(id: RequestID, _ result: Data) -> Data {
        var data = Data("{\"jsonrpc\":\"2.0\",\"id\":\(id.json),\"result\":".utf8)
        data.reserveCapacity(data.count + result.count + 1)
        data.append(result)
        data.append(UInt8(ascii: "}"))
        return data
    }

    /// `{"jsonrpc":"2.0","id":…,"error":{…}}`, with a null id when the request's was unreadable.
    public static func error(id: RequestID?, _ error: RPCError) -> Data {
        Data("{\"jsonrpc\":\"2.0\",\"id\":\(id?.json ?? "null"),\"error\":\(error.json)}".utf8)
    }
}
