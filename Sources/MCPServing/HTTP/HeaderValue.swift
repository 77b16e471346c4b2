import Foundation

/// Header values as Streamable HTTP carries them (2026-07-28 `streamable-http.mdx`, "Value Encoding").
enum HeaderValue {
    /// The value of `Mcp-Name` or `Mcp-Param-*`: `=?base64?…?=` decoded (it must be valid base64
    /// of UTF-8), anything else as is. `nil` when the encoding is broken or a plain value holds
    /// characters a header may not (outside visible ASCII, space and tab).
    static func decode(_ raw: String) -> String? {
        let prefix = "=?base64?", suffix = "?="
        if raw.hasPrefix(prefix), raw.hasSuffix(suffix), raw.utf8.count >= prefix.utf8.count + suffix.utf8.count {
            let encoded = raw.dropFirst(prefix.count).dropLast(suffix.count)
            guard let data = Data(base64Encoded: String(encoded)), let text = String(data: data, encoding: .utf8) else { return nil }
            return text
        }
        guard raw.utf8.allSatisfy({ (0x20...0x7e).contains($0) || $0 == 0x09 }) else { return nil }
        return raw
    }

    /// The credential of an `Authorization` header, as ``ToolCallContext/credential`` carries it:
    /// the token of `Bearer <token>`; `""` (``ToolCallContext/malformedCredential``) for a header
    /// that is present but not a bearer token (`Basic …`, `Bearer` alone); `nil` without a header.
    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return ToolCallContext.malformedCredential }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}
