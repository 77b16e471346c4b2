import Foundation

extension UUID {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The canonical lowercase text form, `550e8400-e29b-41d4-a716-446655440000`, as stored.
    ///
    /// Formatted by hand: Foundation's `uuidString` goes through `sprintf` on Linux, which showed
    /// up in validation profiles.
    public var canonicalText: String {
        withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { out in
                var count = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[count] = UInt8(ascii: "-")
                        count += 1
                    }
                    out[count] = Self.hexDigits[Int(byte >> 4)]
                    out[count + 1] = Self.hexDigits[Int(byte & 0x0f)]
                    count += 2
                }
                return count
            }
        }
    }

    /// Parses the 8-4-4-4-12 hex form (either case), or returns `nil`. Parsed by hand: Foundation's
    /// `UUID(uuidString:)` goes through `sscanf` on Linux.
    public init?(canonicalText text: String) {
        var text = text
        guard let parsed = text.withUTF8({ UUID(canonicalUTF8: $0) }) else { return nil }
        self = parsed
    }

    /// Parses the 8-4-4-4-12 hex form (either case) from UTF-8 bytes, such as a column's text read
    /// straight from SQLite, or returns `nil`.
    init?(canonicalUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 36 else { return nil }
        var result: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &result) { out -> Bool in
            var nibble = 0
            for (offset, c) in bytes.enumerated() {
                if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                    guard c == UInt8(ascii: "-") else { return false }
                    continue
                }
                let value: UInt8
                switch c {
                case 0x30...0x39: value = c - 0x30
                case 0x61...0x66: value = c - 0x61 + 10
                case 0x41...0x46: value = c - 0x41 + 10
                default: return false
                }
                out[nibble / 2] |= nibble % 2 == 0 ? value << 4 : value
                nibble += 1
            }
            return true
        }
        guard ok else { return nil }
        self.init(uuid: result)
    }
}
