import Foundation
import MCP

/// The fields of a JSON-RPC message that decide how it is routed, checked before the SDK sees it.
///
/// The SDK's server does not answer a message it decodes as something other than a request — an
/// `id` of `true`, or a `method` beside `result` or `error`. Over Streamable HTTP (the SDK's
/// transport, and ``SessionHTTPTransport``, which keeps its routing) such a POST would hang until
/// the session ends, holding its response stream, and an `id` of `null` was accepted with 202 and
/// the call run with its answer dropped; over stdio the client waited forever. MCP requires a
/// request id to be a string or an integer, so anything else is refused: 400 over HTTP, an
/// `Invalid Request` error with a null id over stdio (``BlockingStdioTransport``).
package struct JSONRPCEnvelope: Decodable {
    private enum CodingKeys: String, CodingKey {
        case id, method, result, error
    }

    /// Whether the message has a string `method` (a request or a notification).
    package let hasMethod: Bool
    /// Whether the message has an `id` member, whatever its value.
    package let hasID: Bool
    /// Whether the `id` is one the SDK routes and answers: a string or an integer.
    package let hasRoutableID: Bool
    /// Whether the message also carries `result` or `error`, as only responses do.
    package let hasOutcome: Bool

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hasMethod = (try? container.decode(String.self, forKey: .method)) != nil
        hasID = container.contains(.id)
        hasRoutableID =
            (try? container.decode(String.self, forKey: .id)) != nil || (try? container.decode(Int.self, forKey: .id)) != nil
        hasOutcome = container.contains(.result) || container.contains(.error)
    }

    /// Why a message cannot be served, or `nil` when it can (or when it is not a JSON object at
    /// all: the SDK answers that with its own parse error).
    package static func problem(in body: Data) -> String? {
        guard let envelope = try? JSONDecoder().decode(JSONRPCEnvelope.self, from: body), envelope.hasMethod, envelope.hasID else {
            return nil
        }
        if !envelope.hasRoutableID { return "the id of a request must be a string or an integer" }
        if envelope.hasOutcome { return "a request cannot carry a result or an error" }
        return nil
    }

    /// The 400 answer for a posted body with a ``problem(in:)``, or `nil`.
    package static func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "POST", let body = request.body, let problem = problem(in: body) else { return nil }
        return .error(statusCode: 400, .invalidRequest(problem))
    }
}

extension JSONRPCEnvelope {
    /// The JSON-RPC error answering a message with a ``problem(in:)``: `Invalid Request` (-32600),
    /// with a null id, since the message's id cannot be echoed.
    package static func invalidRequestAnswer(_ problem: String) -> Data {
        let error = MCPError.invalidRequest(problem)
        let object: [String: Any] = ["code": error.code, "message": error.errorDescription ?? problem]
        let answer: [String: Any] = ["jsonrpc": "2.0", "id": NSNull(), "error": object]
        return (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])) ?? Data()
    }
}
