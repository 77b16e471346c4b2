import Foundation
import MCP

/// The fields of a posted JSON-RPC message that decide how it is routed, checked before the SDK
/// sees the body.
///
/// The Streamable HTTP transport (the SDK's, and `SessionHTTPTransport`, which keeps its routing) opens a response stream for every message with a `method`
/// and an `id` it can read, and ends that stream when the server answers with the same id. Its
/// server does not answer a message it decodes as something else — an `id` of `true`, or a
/// `method` beside `result` or `error` — so such a POST would hang until the session ends, holding
/// its stream; an `id` of `null` was accepted with 202 and the call run with its answer dropped.
/// MCP requires a request id to be a string or an integer, so anything else is refused with 400.
struct JSONRPCEnvelope: Decodable {
    private enum CodingKeys: String, CodingKey {
        case id, method, result, error
    }

    /// Whether the message has a string `method` (a request or a notification).
    let hasMethod: Bool
    /// Whether the message has an `id` member, whatever its value.
    let hasID: Bool
    /// Whether the `id` is one the SDK routes and answers: a string or an integer.
    let hasRoutableID: Bool
    /// Whether the message also carries `result` or `error`, as only responses do.
    let hasOutcome: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hasMethod = (try? container.decode(String.self, forKey: .method)) != nil
        hasID = container.contains(.id)
        hasRoutableID =
            (try? container.decode(String.self, forKey: .id)) != nil || (try? container.decode(Int.self, forKey: .id)) != nil
        hasOutcome = container.contains(.result) || container.contains(.error)
    }

    /// Why a posted body cannot be served, or `nil` when it can (or when it is not a JSON object at
    /// all: the SDK answers that with its own parse error).
    static func problem(in body: Data) -> String? {
        guard let envelope = try? JSONDecoder().decode(JSONRPCEnvelope.self, from: body), envelope.hasMethod, envelope.hasID else {
            return nil
        }
        if !envelope.hasRoutableID { return "the id of a request must be a string or an integer" }
        if envelope.hasOutcome { return "a request cannot carry a result or an error" }
        return nil
    }

    /// The 400 answer for a posted body with a ``problem(in:)``, or `nil`.
    static func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "POST", let body = request.body, let problem = problem(in: body) else { return nil }
        return .error(statusCode: 400, .invalidRequest(problem))
    }
}
