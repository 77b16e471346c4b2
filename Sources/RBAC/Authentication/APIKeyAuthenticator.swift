import Foundation
import TMWSStorage

/// Issues agent API keys and authenticates callers by them.
///
/// A key is `tmws_ak_` followed by 43 base64url characters: 256 bits from a CSPRNG. It is shown
/// once, when issued; storage keeps only its SHA-256 hash and a 16-character display prefix.
/// Authenticating never says why a key failed: a malformed, unknown or revoked key and a suspended
/// agent all give the same ``AccessError/unauthenticated``.
///
/// ```swift
/// let auth = APIKeyAuthenticator(store: store)
/// let issued = try await auth.issueKey(for: agent.id)   // show issued.key once
/// let principal = try await auth.authenticate(presentedKey)
/// ```
public struct APIKeyAuthenticator: Sendable {
    /// The prefix every key starts with, so that leaked keys are recognisable by scanners.
    public static let keyPrefix = "tmws_ak_"
    /// The length of a key: the prefix and 43 base64url characters (32 bytes).
    public static let keyLength = keyPrefix.utf8.count + 43
    /// The length of the stored display prefix.
    public static let displayPrefixLength = keyPrefix.utf8.count + 8

    /// A freshly issued key. ``key`` is the only copy of the secret: show it once, store it nowhere.
    public struct IssuedKey: Sendable, CustomStringConvertible {
        public let key: String
        public let record: AgentAPIKey
        /// Never contains the key.
        public var description: String { "API key \(record.prefix)… for agent \(record.agentID.canonicalText)" }
    }

    public let store: any APIKeyStore
    let random: any SecureRandom
    let lastUsedResolution: TimeInterval
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - store: where key hashes live.
    ///   - random: the CSPRNG for new keys.
    ///   - lastUsedResolution: `last_used_at` is rewritten only when older than this, so that
    ///     authenticating does not cost a write on every call.
    ///   - clock: where time comes from.
    public init(
        store: any APIKeyStore, random: any SecureRandom = SystemSecureRandom(), lastUsedResolution: TimeInterval = 60,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.random = random
        self.lastUsedResolution = lastUsedResolution
        self.clock = clock
    }

    /// Issues a new key for an agent.
    /// - Throws: `StorageError` `notFound` when the agent does not exist.
    public func issueKey(for agentID: UUID) async throws -> IssuedKey {
        let key = Self.keyPrefix + Base64URL.encode(random.bytes(32))
        let prefix = String(key.prefix(Self.displayPrefixLength))
        let record = try await store.addAPIKey(agentID: agentID, keyHash: Digest.sha256Hex(key), prefix: prefix)
        return IssuedKey(key: key, record: record)
    }

    /// Whether a string has the shape of an API key (checked before any hashing or storage access).
    public static func isWellFormed(_ key: some StringProtocol) -> Bool {
        guard key.utf8.count == keyLength, key.utf8.starts(with: keyPrefix.utf8) else { return false }
        return key.utf8.dropFirst(keyPrefix.utf8.count).allSatisfy { byte in
            (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2d || byte == 0x5f
        }
    }

    /// Authenticates a presented key.
    /// - Returns: the principal of the key's agent.
    /// - Throws: ``AccessError`` `unauthenticated` for any bad key or a suspended agent;
    ///   `unavailable` when storage fails.
    public func authenticate(_ presented: String) async throws(AccessError) -> Principal {
        let hash = try Self.storedHash(ofPresented: presented)
        let resolved: ResolvedAPIKey?
        do {
            resolved = try await store.resolveAPIKey(hash: hash)
        } catch {
            throw AccessError(.unavailable, reason: .storageUnavailable, "storage failed during authentication", underlying: error)
        }
        guard let resolved, resolved.agent.status == .active else { throw AccessError.unauthenticated }
        await noteUse(of: resolved.key)
        return Principal(agentID: resolved.agent.id, keyID: resolved.key.id)
    }

    /// The hash a presented key is stored under, once its shape is checked (before any storage access).
    /// - Throws: ``AccessError`` `unauthenticated` for a key that is not of the `tmws_ak_` shape.
    public static func storedHash(ofPresented presented: String) throws(AccessError) -> String {
        guard isWellFormed(presented) else { throw AccessError.unauthenticated }
        return Digest.sha256Hex(presented)
    }

    /// Sets a resolved key's `last_used_at` when it is older than the resolution. Bookkeeping only:
    /// a failure here does not make a valid key invalid.
    public func noteUse(of key: AgentAPIKey) async {
        if key.lastUsedAt.map({ clock().timeIntervalSince($0) >= lastUsedResolution }) ?? true {
            try? await store.recordAPIKeyUse(id: key.id)
        }
    }

    /// Revokes an agent's key by its display prefix.
    /// - Returns: the revoked key.
    /// - Throws: `StorageError` `notFound` when the agent has no key with that prefix,
    ///   `conflict` when the prefix matches more than one of its keys.
    public func revokeKey(agentID: UUID, prefix: String) async throws -> AgentAPIKey {
        let matches = try await store.apiKeys(agentID: agentID).filter { $0.prefix == prefix || $0.id.canonicalText == prefix.lowercased() }
        guard let key = matches.first else { throw StorageError(.notFound, "the agent has no API key with this prefix") }
        guard matches.count == 1 else { throw StorageError(.conflict, "more than one key has this prefix; use the key id") }
        return try await store.revokeAPIKey(id: key.id)
    }
}
