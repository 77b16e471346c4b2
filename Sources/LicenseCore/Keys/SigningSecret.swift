import Crypto
import Foundation
import TMWSStorage

/// The HMAC secret license keys are signed with. At least 32 bytes.
///
/// Its description never shows the secret. Load it with ``fromEnvironment(_:)``:
/// `TMWS_SECRET_KEY` holds the secret itself, or `TMWS_SECRET_KEY_FILE` names a file that does
/// (trailing newlines are ignored).
public struct SigningSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The shortest secret accepted, in bytes.
    public static let minimumLength = 32

    let key: SymmetricKey

    /// Where the secret came from, for the start-up log: `TMWS_SECRET_KEY`, `TMWS_SECRET_KEY_FILE /path`,
    /// `file /path` or `new file /path`. Never the secret.
    public let source: String

    /// Wraps secret bytes.
    /// - Parameters:
    ///   - bytes: the secret.
    ///   - source: where they came from (see ``source``).
    /// - Throws: ``ConfigurationError`` when shorter than ``minimumLength``.
    public init(_ bytes: some Sequence<UInt8>, source: String = "given by the application") throws(ConfigurationError) {
        let bytes = Array(bytes)
        self.source = source
        guard bytes.count >= Self.minimumLength else {
            throw ConfigurationError(
                .invalidSecret,
                "the signing secret is \(bytes.count) bytes long; at least \(Self.minimumLength) are required")
        }
        key = SymmetricKey(data: bytes)
    }

    /// Loads the secret from `TMWS_SECRET_KEY` or the file named by `TMWS_SECRET_KEY_FILE`.
    /// - Returns: the secret, or `nil` when neither variable is set.
    /// - Throws: ``ConfigurationError`` when both are set, the file cannot be read, or the secret is too short.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> SigningSecret? {
        let inline = environment["TMWS_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let file = environment["TMWS_SECRET_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch (inline, file) {
        case (nil, nil): return nil
        case (_?, _?):
            throw ConfigurationError(.invalidSecret, "set either TMWS_SECRET_KEY or TMWS_SECRET_KEY_FILE, not both")
        case (let inline?, nil):
            do { return try SigningSecret(Array(inline.utf8), source: "TMWS_SECRET_KEY") } catch {
                throw ConfigurationError(.invalidSecret, "TMWS_SECRET_KEY is too short: \(error.message)")
            }
        case (nil, let path?):
            return try load(fromFile: path, source: "TMWS_SECRET_KEY_FILE \(path)")
        }
    }

    /// Loads the secret from a file (trailing whitespace and newlines are not part of it).
    public static func load(fromFile path: String) throws(ConfigurationError) -> SigningSecret {
        try load(fromFile: path, source: "file \(path)")
    }

    static func load(fromFile path: String, source: String) throws(ConfigurationError) -> SigningSecret {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(.invalidSecret, "cannot read the signing secret file \(path)")
        }
        var bytes = Array(data)
        while let last = bytes.last, last == 0x0a || last == 0x0d || last == 0x20 || last == 0x09 { bytes.removeLast() }
        do { return try SigningSecret(bytes, source: source) } catch {
            throw ConfigurationError(.invalidSecret, "the signing secret file \(path) is too short: \(error.message)")
        }
    }

    /// Creates a new random secret (64 base64url characters from 48 random bytes) in a file with
    /// owner-only permissions (0600). Refuses to overwrite an existing file or follow a link, and a
    /// directory every user may write to (see `Deployment.writeOwnerOnly(_:to:)`).
    public static func createFile(at path: String, randomBytes: [UInt8]) throws(ConfigurationError) -> SigningSecret {
        let text = Base64URL.encode(randomBytes)
        do {
            try OwnerOnlyFile.create(text + "\n", at: path)
        } catch {
            throw ConfigurationError(.fileAccess, "cannot create the signing secret file: \(error.message)")
        }
        return try SigningSecret(Array(text.utf8), source: "new file \(path)")
    }

    /// A short fingerprint that tells secrets apart without revealing them: the first 8 bytes, in
    /// hex, of HMAC-SHA256 keyed with the secret over the fixed label `tmws secret fingerprint v1`.
    /// A deployment keeps the one it was created with (`Deployment.open(_:)` refuses another) and logs show it.
    public var fingerprint: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("tmws secret fingerprint v1".utf8), using: key)
        return mac.prefix(8).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }

    public var description: String { "SigningSecret(redacted)" }
    public var debugDescription: String { description }
}
