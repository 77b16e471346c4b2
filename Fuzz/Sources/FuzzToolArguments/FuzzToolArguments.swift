import Foundation
import FuzzSupport
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSStorage

// Arbitrary bytes → JSON (parsed as the server parses requests, with `JSONParser`) → every tool's
// argument decoding, as `LicenseToolHandler.tools` performs it (ToolDecoding.swift mirrors it).
//
// Invariants, for every tool and every input that is a JSON object (or null):
// - nothing crashes;
// - either every argument the caller sent is decoded, to a value within the bounds that the tool's
//   published input schema documents (maxLength, enum in any ASCII letter case, UUID pattern, minimum/maximum,
//   maxProperties), with the required arguments present — and the decoded value is the value sent;
// - or the decoder throws `INVALID_ARGUMENT` whose message names an argument: one the caller sent
//   or one the schema declares.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToolArguments(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let value = try? JSONParser.parse(Data(buffer: bytes)) else { return 0 }
    let arguments: [String: Value]?
    switch value {
    case .object(let object): arguments = object
    case .null: arguments = nil
    default: return 0
    }
    for tool in ToolCatalog.all {
        check(tool, arguments)
    }
    return 0
}

private func check(_ tool: Tool, _ arguments: [String: Value]?) {
    let properties = tool.inputSchema.objectValue?["properties"]?.objectValue ?? [:]
    let required = (tool.inputSchema.objectValue?["required"]?.arrayValue ?? []).compactMap(\.stringValue)
    let sent = arguments ?? [:]
    do {
        let decoded = try ToolDecoding.decode(tool.name, ToolArguments(arguments, allowed: ToolCatalog.argumentNames(of: tool)))
        // Every non-null argument sent was decoded, and nothing else.
        let present = Set(sent.filter { !$0.value.isNull }.keys)
        fuzzCheck(Set(decoded.keys) == present, "\(tool.name): decoded \(decoded.keys.sorted()) but was sent \(present.sorted())")
        for name in required {
            fuzzCheck(decoded[name] != nil, "\(tool.name): required '\(name)' missing but decoding succeeded")
        }
        for (name, value) in decoded {
            guard let schema = properties[name]?.objectValue else {
                fuzzCheck(false, "\(tool.name): decoded '\(name.prefix(64))', which the schema does not declare")
                return
            }
            checkBounds(tool.name, name, value, sent: sent[name]!, schema: schema)
        }
    } catch {
        fuzzCheck(error.code == .invalidArgument, "\(tool.name): failed with \(error.code), not INVALID_ARGUMENT")
        let candidates = Array(sent.keys) + Array(properties.keys)
        fuzzCheck(
            candidates.contains { error.message.hasPrefix("argument '\($0.prefix(64))' ") },
            "\(tool.name): the error names no argument: \(error.message.prefix(200))")
    }
}

/// Checks a decoded value against its property's schema and against the value that was sent.
private func checkBounds(_ tool: String, _ name: String, _ value: Decoded, sent: Value, schema: [String: Value]) {
    let type = schema["type"]?.stringValue
    let context = "\(tool).\(name)"
    switch value {
    case .integer(let number):
        fuzzCheck(type == "integer", "\(context): decoded an integer for a \(type ?? "?")")
        if let minimum = schema["minimum"]?.intValue { fuzzCheck(number >= minimum, "\(context): \(number) < \(minimum)") }
        if let maximum = schema["maximum"]?.intValue { fuzzCheck(number <= maximum, "\(context): \(number) > \(maximum)") }
        switch sent {
        case .int(let int): fuzzCheck(int == number, "\(context): decoded \(number) from \(int)")
        case .double(let double): fuzzCheck(Double(number) == double, "\(context): decoded \(number) from \(double)")
        default: fuzzCheck(false, "\(context): decoded an integer from a non-number")
        }

    case .map(let map):
        fuzzCheck(type == "object", "\(context): decoded an object for a \(type ?? "?")")
        if let maximum = schema["maxProperties"]?.intValue { fuzzCheck(map.count <= maximum, "\(context): \(map.count) entries") }
        // Key and value lengths are not the decoder's to check: LicenseService.checkMetadata
        // rejects them (INVALID_ARGUMENT naming metadata), covered by MCPToolsTests.
        fuzzCheck(sent.objectValue?.mapValues(\.stringValue) == map.mapValues(Optional.some), "\(context): the map changed")

    case .string(let text), .uuid(let text, _), .choice(let text), .date(let text, _):
        fuzzCheck(type == "string", "\(context): decoded a string for a \(type ?? "?")")
        fuzzCheck(sent.stringValue == text, "\(context): the decoded text is not the text sent")
        if let maximum = schema["maxLength"]?.intValue {
            fuzzCheck(text.unicodeScalars.count <= maximum, "\(context): \(text.unicodeScalars.count) code points > \(maximum)")
        }
        if let minimum = schema["minLength"]?.intValue {
            fuzzCheck(text.unicodeScalars.count >= minimum, "\(context): \(text.unicodeScalars.count) code points < \(minimum)")
        }
        if let cases = schema["enum"]?.arrayValue {
            // Enumerated words are read in any ASCII letter case (InputName); nothing else folds,
            // so look-alikes (the Kelvin sign, fullwidth letters, a dotted İ) must never match.
            fuzzCheck(
                cases.contains { $0.stringValue.map(asciiFolded) == asciiFolded(text) },
                "\(context): '\(text.prefix(64))' is not one of the enum, in any ASCII letter case")
        }
        if schema["pattern"]?.stringValue == "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" {
            fuzzCheck(matchesUUIDPattern(text), "\(context): '\(text.prefix(64))' does not match the UUID pattern")
        }
        if case .uuid(_, let id) = value {
            fuzzCheck(id.canonicalText == text, "\(context): '\(text.prefix(64))' decoded to \(id.canonicalText)")
        }
        if case .date(_, let date) = value {
            fuzzCheck(date.timeIntervalSince1970.isFinite, "\(context): a non-finite date")
        }
    }
}

/// `text` with A–Z turned into a–z and every other byte left alone.
private func asciiFolded(_ text: String) -> [UInt8] {
    text.utf8.map { (0x41...0x5a).contains($0) ? $0 | 0x20 : $0 }
}

private func matchesUUIDPattern(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (offset, byte) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(offset) {
            guard byte == UInt8(ascii: "-") else { return false }
        } else {
            guard (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) else { return false }
        }
    }
    return true
}

@main
enum FuzzToolArgumentsMain {
    static func main() {
        exit(runLibFuzzer(fuzzToolArguments))
    }
}
