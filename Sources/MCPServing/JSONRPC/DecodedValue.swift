import MCP

/// A JSON value decoded into the SDK's `Value` without the SDK's own decoder.
///
/// `Value.init(from:)` matches every string against a regular expression, compiled anew each
/// time, to turn `data:` URLs into binary data: under load that was a third of the server's CPU
/// per request (perf, release build), and it turned a string argument that merely looks like a
/// data URL into something no string parameter accepts. Strings stay strings here; everything
/// else maps to the same `Value` case.
struct DecodedValue: Decodable {
    let value: Value

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Objects and strings first: they are nearly every value of a request, and each failed
        // attempt costs a thrown error.
        if container.decodeNil() {
            value = .null
        } else if let object = try? container.decode([String: DecodedValue].self) {
            value = .object(object.mapValues(\.value))
        } else if let text = try? container.decode(String.self) {
            value = .string(text)
        } else if let flag = try? container.decode(Bool.self) {
            value = .bool(flag)
        } else if let integer = try? container.decode(Int.self) {
            value = .int(integer)
        } else if let number = try? container.decode(Double.self) {
            value = .double(number)
        } else {
            value = .array(try container.decode([DecodedValue].self).map(\.value))
        }
    }
}
