import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `mcp-server` and `tmwsctl` write their logs to standard error: human-readable lines (the
/// default) or one JSON object per line for log shippers (`--log-format json`, `TMWS_LOG_FORMAT`).
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json

    /// Bootstraps swift-log once for the process: every logger writes to standard error, in this
    /// format, at `level`.
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// A log handler that writes each event to standard error as one line of JSON:
///
/// ```json
/// {"label":"tmws.server","level":"info","message":"listening","metadata":{"address":"127.0.0.1:8000"},"time":"2026-12-08T02:04:00.123Z"}
/// ```
///
/// Keys are sorted, so lines compare and diff well. `time` is UTC with milliseconds; `metadata` (the logger's, the provider's and the event's, the
/// event's winning) is left out when empty, and nested metadata stays nested. Each line is written
/// with one `write(2)`, so lines from concurrent tasks never interleave. What TMWS logs never holds a
/// secret or a key, in either format.
public struct JSONLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var line = Self.line(time: Date(), level: event.level, label: label, message: event.message.description, metadata: merged)
        line.append(0x0a)
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// One event as JSON (without the line break).
    package static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var time = Array(Timestamp.sqliteText(time).utf8)
        time[10] = UInt8(ascii: "T")
        time.append(UInt8(ascii: "Z"))
        let entry = Entry(
            time: String(decoding: time, as: UTF8.self), level: level.rawValue, label: label, message: message,
            metadata: metadata.isEmpty ? nil : metadata.mapValues(MetadataValue.init))
        // Encoding these types cannot fail: strings, arrays and dictionaries of strings only.
        return (try? Array(encoder.encode(entry))) ?? Array(#"{"level":"error","message":"a log line could not be encoded"}"#.utf8)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private struct Entry: Encodable {
        let time: String
        let level: String
        let label: String
        let message: String
        let metadata: [String: MetadataValue]?
    }

    private enum MetadataValue: Encodable {
        case string(String)
        case array([MetadataValue])
        case dictionary([String: MetadataValue])

        init(_ value: Logger.Metadata.Value) {
            switch value {
            case .string(let text): self = .string(text)
            case .stringConvertible(let convertible): self = .string(convertible.description)
            case .array(let values): self = .array(values.map(MetadataValue.init))
            case .dictionary(let values): self = .dictionary(values.mapValues(MetadataValue.init))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .array(let values): try container.encode(values)
            case .dictionary(let values): try container.encode(values)
            }
        }
    }
}
