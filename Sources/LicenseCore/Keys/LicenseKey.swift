import Foundation
import TMWSStorage

/// The parts of a license key `TMWS-{TIER}-{UUID}-{CHECKSUM}`, parsed strictly.
///
/// The UUID must be lowercase canonical (8-4-4-4-12), the checksum 16 lowercase hex digits. The
/// length is checked before anything else, so that a megabyte of input costs nothing; non-ASCII
/// input is malformed, never a crash. The value keeps no copy of the key text, and its
/// description shows only the tier and id.
public struct LicenseKey: Sendable, Hashable, CustomStringConvertible {
    /// The tier named in the key.
    public let tier: LicenseTier
    /// The license id named in the key.
    public let id: UUID
    /// The 8 checksum bytes (16 hex digits in the key).
    public let checksum: Checksum

    /// The shortest and longest possible keys (`PRO` and `ENTERPRISE`).
    public static let minimumLength = "TMWS-PRO-".utf8.count + 36 + 1 + 16
    public static let maximumLength = "TMWS-ENTERPRISE-".utf8.count + 36 + 1 + 16

    /// 8 bytes, compared in constant time.
    public struct Checksum: Sendable, Hashable {
        public let high: UInt64

        public init(_ value: UInt64) { self.high = value }

        /// Constant-time equality (no early exit on the first differing byte).
        public func constantTimeEquals(_ other: Checksum) -> Bool {
            (high ^ other.high) == 0
        }

        /// The 16 lowercase hex digits.
        public var hex: String {
            var bytes = [UInt8](repeating: 0, count: 16)
            let digits = Array("0123456789abcdef".utf8)
            for index in 0..<16 {
                bytes[index] = digits[Int((high >> UInt64(60 - 4 * index)) & 0xf)]
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    public init(tier: LicenseTier, id: UUID, checksum: Checksum) {
        self.tier = tier
        self.id = id
        self.checksum = checksum
    }

    /// A key as presented for validation, without the spaces, tabs and line breaks around it (a key
    /// pasted from a file or read from a line keeps its newline). The same rule on every face: MCP,
    /// `tmwsctl` and the library's ``LicenseService``. Nothing inside the key is changed, and
    /// ``init(parsing:)`` itself stays strict.
    public static func presented(_ text: String) -> String {
        let utf8 = text.utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }
        guard let first = utf8.first, let last = utf8.last, isSpace(first) || isSpace(last) else { return text }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[start...end])
    }

    /// Parses a key, or returns `nil` when it is malformed in any way.
    public init?(parsing text: String) {
        let utf8 = text.utf8
        guard utf8.count >= Self.minimumLength, utf8.count <= Self.maximumLength else { return nil }
        var copy = text
        guard let parsed = copy.withUTF8({ Self.parse($0) }) else { return nil }
        self = parsed
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> LicenseKey? {
        // "TMWS-"
        guard b[0] == 0x54, b[1] == 0x4d, b[2] == 0x57, b[3] == 0x53, b[4] == 0x2d else { return nil }
        // The tier runs to the next '-'; the UUID (36) + '-' + checksum (16) fill the rest.
        let tierLength = b.count - 5 - 1 - 36 - 1 - 16
        guard b[5 + tierLength] == 0x2d else { return nil }
        let tier: LicenseTier
        switch tierLength {
        case 3 where b[5] == 0x50 && b[6] == 0x52 && b[7] == 0x4f: tier = .pro
        case 4 where b[5] == 0x46 && b[6] == 0x52 && b[7] == 0x45 && b[8] == 0x45: tier = .free
        case 10 where String(decoding: UnsafeBufferPointer(rebasing: b[5..<15]), as: UTF8.self) == "ENTERPRISE": tier = .enterprise
        default: return nil
        }
        let uuidStart = 6 + tierLength
        var uuidBytes = [UInt8](repeating: 0, count: 16)
        var nibble = 0
        for offset in 0..<36 {
            let c = b[uuidStart + offset]
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard c == 0x2d else { return nil }
                continue
            }
            guard let value = lowerHex(c) else { return nil }
            uuidBytes[nibble / 2] |= nibble % 2 == 0 ? value << 4 : value
            nibble += 1
        }
        let checksumStart = uuidStart + 36
        guard b[checksumStart] == 0x2d else { return nil }
        var checksum: UInt64 = 0
        for offset in 1...16 {
            guard let value = lowerHex(b[checksumStart + offset]) else { return nil }
            checksum = checksum << 4 | UInt64(value)
        }
        let id = uuidBytes.withUnsafeBytes { UUID(uuid: $0.load(as: uuid_t.self)) }
        return LicenseKey(tier: tier, id: id, checksum: Checksum(checksum))
    }

    @inline(__always)
    private static func lowerHex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// The key text: `TMWS-{TIER}-{uuid}-{checksum}`.
    public var text: String {
        "TMWS-\(tier.rawValue)-\(id.canonicalText)-\(checksum.hex)"
    }

    /// Shows the tier and id only, never the checksum: a description must not be a usable key.
    public var description: String { "LicenseKey(\(tier.rawValue), \(id.canonicalText))" }
}
