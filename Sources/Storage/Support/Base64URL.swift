import ExtrasBase64
import Foundation

/// Base64url without padding (RFC 4648 §5), as used in cursors, API keys, secrets and license tokens.
///
/// Through swift-extras-base64's table-driven coder: Foundation's base64 followed by three
/// `replacingOccurrences` calls cost a fifth of a license checkout's CPU time (BENCHMARKS.md).
public enum Base64URL {
    private static let encoding: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
    private static let decoding: Base64.DecodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]

    /// Encodes bytes.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: encoding)
    }

    /// Encodes bytes that are only a sequence (copied into an array first).
    @_disfavoredOverload
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        encode(Array(bytes))
    }

    /// Decodes text, or returns `nil` when it is not base64url.
    public static func decode(_ text: String) -> Data? {
        (try? Base64.decode(string: text, options: decoding)).map { Data($0) }
    }
}
