import Crypto

/// Hashing and hex helpers shared by API keys and license keys.
public enum Digest {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The lowercase hex SHA-256 of a string's UTF-8 bytes.
    public static func sha256Hex(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// Lowercase hex of a byte sequence (no `String(format:)`: it is slow on Linux).
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
