import ArgumentParser
import Foundation
import Logging
import TMWS
import Testing

@testable import tmwsctl

/// `--log-format json`: one JSON object per line, with the fields log shippers expect; the option
/// is taken from anywhere on the command line before parsing.
@Suite struct LogFormatTests {
    @Test func aLineIsOneJSONObjectWithTheFieldsShippersExpect() throws {
        let metadata: Logger.Metadata = [
            "path": "/var/lib/tmws/tmws.db", "quote": "say \"hi\"\n\tand\u{1b}[31m", "count": .stringConvertible(42),
            "list": ["a", "b"], "nested": ["inner": ["x": "1"]],
        ]
        let bytes = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_796_695_440.123), level: .warning, label: "tmws.mcp-server", message: "line one\nline two",
            metadata: metadata)
        #expect(!bytes.contains(0x0a), "a log line must not contain a line break")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["time"] as? String == "2026-12-08T02:04:00.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "tmws.mcp-server")
        #expect(object["message"] as? String == "line one\nline two")
        let fields = try #require(object["metadata"] as? [String: Any])
        #expect(fields["path"] as? String == "/var/lib/tmws/tmws.db")
        #expect(fields["quote"] as? String == "say \"hi\"\n\tand\u{1b}[31m")
        #expect(fields["count"] as? String == "42")
        #expect(fields["list"] as? [String] == ["a", "b"])
        #expect((fields["nested"] as? [String: Any])?["inner"] as? [String: String] == ["x": "1"])
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"label":"tmws.mcp-server","level":"warning","message""#), "keys are sorted")

        let bare = JSONLogHandler.line(time: Date(timeIntervalSince1970: 0), level: .info, label: "l", message: "m", metadata: [:])
        #expect(String(decoding: bare, as: UTF8.self) == #"{"label":"l","level":"info","message":"m","time":"1970-01-01T00:00:00.000Z"}"#)
    }

    @Test func theFormatIsTakenFromAnywhereOnTheCommandLine() throws {
        #expect(try LogSetup.takingLogFormat(from: ["--log-format", "json", "stats", "--json"]) == (["stats", "--json"], .json))
        #expect(try LogSetup.takingLogFormat(from: ["agent", "list", "--log-format=text"]) == (["agent", "list"], .text))
        #expect(try LogSetup.takingLogFormat(from: ["license", "validate", "--", "--log-format"]) == (["license", "validate", "--", "--log-format"], .text))
        #expect(throws: ValidationError.self) { try LogSetup.takingLogFormat(from: ["--log-format", "xml", "stats"]) }
        #expect(throws: ValidationError.self) { try LogSetup.takingLogFormat(from: ["stats", "--log-format"]) }
    }
}
