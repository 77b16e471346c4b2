import Foundation
import Hummingbird

// bare-route PORT BYTES: POST /mcp answers a fixed application/json body of BYTES bytes.
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8090 : 8090
let size = arguments.count > 2 ? Int(arguments[2]) ?? 600 : 600
let prefix = #"{"jsonrpc":"2.0","id":1,"result":{"pad":""#
let body = prefix + String(repeating: "x", count: max(0, size - prefix.utf8.count - 4)) + #""}}"#
let buffer = ByteBuffer(string: body)

let router = Router()
router.post("mcp") { request, _ -> Response in
    _ = try await request.body.collect(upTo: 1 << 20)
    return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
