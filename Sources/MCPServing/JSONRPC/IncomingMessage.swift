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
        let members: [String: Value]
        do throws(JSONParser.Failure) {
            guard case .object(let object) = try JSONParser.parse(body) else {
                return parseError("the body is not a JSON-RPC object")
            }
            members = object
        } catch {
            switch error {
            case .syntax: return parseError("the body is not a JSON-RPC object")
            case .invalidUnicode: return parseError("the body holds text that is not valid Unicode")
            case .duplicateMember: return parseError("an object of the body names a member twice")
            case .tooDeep: return parseError("the body nests deeper than \(JSONParser.maximumDepth) levels")
            }
        }
        let id: IDField =
            switch members["id"] {
            case nil: .absent
            case .int(let number)?: .valid(.number(number))
            case .string(let text)? where text.utf8.count <= RequestID.maximumLength: .valid(.string(text))
            default: .unreadable
            }
        let readableID: RequestID? = if case .valid(let id) = id { id } else { nil }
        func invalid(_ message: String) -> IncomingMessage {
            .invalid(RPCError(code: MCPProtocol.ErrorCode.invalidRequest, message: "Invalid Request: \(message)"), id: readableID)
        }
        let hasOutcome = members["result"] != nil || members["error"] != nil
        guard case .string("2.0") = members["jsonrpc"] else { return invalid("jsonrpc must be \"2.0\"") }
        guard case .string(let method) = members["method"] else {
            if hasOutcome, readableID != nil { return .response }
            return invalid("a request needs a string method")
        }
        guard method.utf8.count <= maximumMethodLength else {
            return invalid("the method name is longer than \(maximumMethodLength) bytes")
        }
        if hasOutcome { return invalid("a request cannot carry a result or an error") }
        let params: [String: Value]?
        switch members["params"] {
        case nil, .null?: params = nil
        case .object(let object)?: params = object
        default: return invalid("params must be an object")
        }
        switch id {
        case .absent:
            return .notification(method: method, params: params)
        case .unreadable:
            return .invalid(
                RPCError(
                    code: MCPProtocol.ErrorCode.invalidRequest,
                    message: "Invalid Request: the id must be a string of at most \(RequestID.maximumLength) bytes or an integer"),
                id: nil)
        case .valid(let id):
            return .request(Request(id: id, method: method, params: params))
        }
    }

    private static func parseError(_ message: String) -> IncomingMessage {
        .invalid(RPCError(code: MCPProtocol.ErrorCode.parseError, message: "Parse error: \(message)"), id: nil)
    }

    private enum IDField {
        case absent, unreadable, valid(RequestID)
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
