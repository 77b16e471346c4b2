import Foundation
import FuzzSupport
import MCP
import TMWSMCPServing

// Arbitrary bytes → `JSONParser` (every request body and stdio line goes through it) and
// `IncomingMessage.parse`. Invariants:
// - nothing crashes, whatever the bytes (nesting is bounded, so no stack overflow either);
// - what `JSONParser` accepts, Foundation's `JSONSerialization` accepts too, as the same value
//   (our parser is the stricter one: repeated member names and lone surrogates are refused);
// - a parsed value written by `JSONWriter` parses back to itself (non-finite numbers aside, which
//   JSON cannot express and the writer writes as null), and Foundation reads the written text;
// - a message classified as a request or notification has a method of at most 128 bytes, and a
//   string id of at most 256 bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRPC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(buffer: fuzzInput(data, size))
    checkMessage(IncomingMessage.parse(bytes))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let foundation = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
    // Foundation refuses numbers beyond Double's range, which we read as infinities.
    fuzzCheck(foundation != nil || finite(value) != value, "JSONParser accepted text that JSONSerialization refuses")
    if let foundation { fuzzCheck(same(value, foundation), "JSONParser and JSONSerialization read different values") }
    var writer = JSONWriter()
    writer.value(value)
    let reread = try? JSONParser.parse(writer.data)
    fuzzCheck(reread == finite(value), "JSONWriter's text does not parse back to the value written")
    fuzzCheck(
        (try? JSONSerialization.jsonObject(with: writer.data, options: [.fragmentsAllowed])) != nil,
        "JSONSerialization refuses JSONWriter's text")
    return 0
}

private func checkMessage(_ message: IncomingMessage) {
    switch message {
    case .request(let request):
        fuzzCheck(request.method.utf8.count <= IncomingMessage.maximumMethodLength, "a request's method is over the bound")
        if case .string(let id) = request.id { fuzzCheck(id.utf8.count <= RequestID.maximumLength, "a string id is over the bound") }
    case .notification(let method, _):
        fuzzCheck(method.utf8.count <= IncomingMessage.maximumMethodLength, "a notification's method is over the bound")
    case .response, .invalid:
        break
    }
}

/// `value` with infinities as null, as `JSONWriter` writes them.
private func finite(_ value: Value) -> Value {
    switch value {
    case .double(let number) where !number.isFinite: .null
    case .array(let items): .array(items.map(finite))
    case .object(let members): .object(members.mapValues(finite))
    default: value
    }
}

/// Whether our value and Foundation's object graph say the same thing.
private func same(_ value: Value, _ object: Any) -> Bool {
    switch value {
    case .null: return object is NSNull
    case .bool(let flag): return isBoolean(object) && (object as? NSNumber)?.boolValue == flag
    case .int(let number):
        guard let other = object as? NSNumber, !isBoolean(object) else { return false }
        return other.int64Value == Int64(number) || other.doubleValue == Double(number)
    case .double(let number):
        guard let other = object as? NSNumber, !isBoolean(object) else { return false }
        // Foundation reads long numbers as NSDecimalNumber, whose conversion to Double is not
        // correctly rounded (ours is strtod's): agree to nine digits.
        return other.doubleValue == number || (!number.isFinite && !other.doubleValue.isFinite)
            || abs(other.doubleValue - number) <= abs(number) * 1e-9
    case .string(let text): return (object as? String) == text
    case .data: return false
    case .array(let items):
        guard let others = object as? [Any], others.count == items.count else { return false }
        return zip(items, others).allSatisfy { same($0, $1) }
    case .object(let members):
        guard let others = object as? [String: Any], others.count == members.count else { return false }
        return members.allSatisfy { key, item in others[key].map { same(item, $0) } ?? false }
    }
}

/// JSONSerialization's booleans are NSNumbers of their own class.
private let booleanClass: AnyClass = type(of: NSNumber(value: true))

private func isBoolean(_ object: Any) -> Bool {
    type(of: object as AnyObject) === booleanClass
}

@main
enum FuzzJSONRPCMain {
    static func main() {
        exit(runLibFuzzer(fuzzJSONRPC))
    }
}
