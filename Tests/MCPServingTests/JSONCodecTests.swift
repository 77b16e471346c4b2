import Foundation
import MCP
import TMWSMCPServing
import TMWSTestSupport
import Testing

/// `JSONParser` accepts exactly RFC 8259 (minus repeated member names), and `JSONWriter`'s text
/// reads back as the value it wrote, through our parser and through Foundation's.
@Suite struct JSONCodecTests {
    @Test func parsesEveryKindOfValue() throws {
        let text =
            #" { "s": "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00", "i": -42, "z": -0, "d": 1.5e2, "t": true, "f": false, "n": null, "a": [1, [], {}], "o": {"k": "v"} } "#
        let value = try JSONParser.parse(text)
        let expected: Value = [
            "s": .string("a\"b\\c/d\u{08}\u{0C}\n\r\té😀"), "i": -42, "z": 0, "d": .double(150), "t": true, "f": false, "n": .null,
            "a": [1, [], [:]], "o": ["k": "v"],
        ]
        #expect(value == expected)
    }

    @Test func integersAreIntsOnlyWhenIntegralAndInRange() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("-9223372036854775809") == .double(-9_223_372_036_854_775_809))
        #expect(try JSONParser.parse("1.0") == .double(1))
        #expect(try JSONParser.parse("1E2") == .double(100))
        #expect(try JSONParser.parse("1e400") == .double(.infinity))
        #expect(try JSONParser.parse("-1e400") == .double(-.infinity))
        #expect(try JSONParser.parse("0.000") == .double(0))
    }

    /// Every malformed text is refused, each with the failure that names its problem.
    @Test(arguments: [
        ("", "syntax"), ("   ", "syntax"), ("{", "syntax"), ("}", "syntax"), ("[1,]", "syntax"), ("{\"a\":1,}", "syntax"),
        ("{\"a\" 1}", "syntax"), ("{a:1}", "syntax"), ("{'a':1}", "syntax"), ("[1 2]", "syntax"), ("01", "syntax"), ("-", "syntax"),
        ("-a", "syntax"), ("1.", "syntax"), (".5", "syntax"), ("1e", "syntax"), ("1e+", "syntax"), ("+1", "syntax"), ("NaN", "syntax"),
        ("Infinity", "syntax"), ("tru", "syntax"), ("nul", "syntax"), ("truex", "syntax"), ("1 2", "syntax"), ("\"abc", "syntax"),
        ("\"a\u{01}b\"", "syntax"), ("\"a\nb\"", "syntax"), ("\"\\x\"", "syntax"), ("\"\\u12\"", "syntax"), ("\"\\u12g4\"", "syntax"),
        ("\"\\", "syntax"), ("{\"a\":1}x", "syntax"), ("\u{FEFF}{}", "syntax"),
        ("\"\\ud800\"", "unicode"), ("\"\\udc00\"", "unicode"), ("\"\\ud800\\u0041\"", "unicode"), ("\"\\ud800x\"", "unicode"),
        ("{\"a\":1,\"a\":2}", "duplicate"), ("{\"a\":{\"b\":1,\"b\":1}}", "duplicate"), ("{\"\\u0061\":1,\"a\":2}", "duplicate"),
    ])
    func refusesMalformedText(_ text: String, _ kind: String) {
        #expect(Self.failureKind(Data(text.utf8)) == kind, "\(text.debugDescription)")
    }

    @Test func refusesBytesThatAreNotUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0x61, 0x5C, 0x6E, 0xFE, 0x22],
        ] {
            #expect(Self.failureKind(Data(bytes)) == "unicode", "\(bytes)")
        }
        // Outside strings a non-ASCII byte is not JSON at all.
        #expect(Self.failureKind(Data([0xFF])) == "syntax")
    }

    @Test func nestingIsBounded() throws {
        let deepest = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect((try? JSONParser.parse(deepest)) != nil)
        let tooDeep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(Self.failureKind(Data(tooDeep.utf8)) == "deep")
        let objects = String(repeating: "{\"a\":", count: 200_000) + "1" + String(repeating: "}", count: 200_000)
        #expect(Self.failureKind(Data(objects.utf8)) == "deep")
    }

    @Test func writerEscapesWhatJSONAndJavaScriptNeed() {
        var writer = JSONWriter()
        writer.string("q\"b\\s/\n\r\t\u{00}\u{1F}\u{7F}\u{2028}\u{2029}é😀")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""q\"b\\s/\n\r\t\u0000\u001f"# + "\u{7F}" + #"\u2028\u2029"# + "é😀\"")
        var numbers = JSONWriter()
        numbers.value([.int(Int.min), .double(1.5), .double(1e300), .double(.nan), .double(.infinity), .bool(true), .null])
        #expect(String(decoding: numbers.bytes, as: UTF8.self) == "[-9223372036854775808,1.5,1e+300,null,null,true,null]")
        var object = JSONWriter()
        object.value(["b": 1, "a": ["d": 2, "c": 3], "": "empty"])
        #expect(String(decoding: object.bytes, as: UTF8.self) == #"{"":"empty","a":{"c":3,"d":2},"b":1}"#)
    }

    /// Random values written by `JSONWriter` read back equal through `JSONParser`, and
    /// Foundation's reader agrees on the text.
    @Test func writtenValuesReadBack() throws {
        var generator = SplitMix64(state: 0x5EED)
        for _ in 0..<500 {
            let value = Self.randomValue(depth: 0, using: &generator)
            var writer = JSONWriter()
            writer.value(value)
            let data = writer.data
            #expect(try JSONParser.parse(data) == value, "\(String(decoding: data, as: UTF8.self))")
            #expect((try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil)
        }
    }

    static func failureKind(_ data: Data) -> String {
        do throws(JSONParser.Failure) {
            _ = try JSONParser.parse(data)
            return "accepted"
        } catch {
            switch error {
            case .syntax: return "syntax"
            case .invalidUnicode: return "unicode"
            case .duplicateMember: return "duplicate"
            case .tooDeep: return "deep"
            }
        }
    }

    static let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "é", "€", "😀", "\u{2028}", "\u{FEFF}"]

    static func randomValue(depth: Int, using generator: inout SplitMix64) -> Value {
        switch Int.random(in: depth > 3 ? 0...4 : 0...6, using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0...63, using: &generator))
        case 3: return .double(Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 64 + 0.5)
        case 4: return .string(String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var members: [String: Value] = [:]
            for index in 0..<Int.random(in: 0...4, using: &generator) {
                members["k\(index)\(alphabet.randomElement(using: &generator)!)"] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(members)
        }
    }
}
