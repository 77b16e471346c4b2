import Foundation

/// What each ``SigningKeyStore`` change does, decided once for every backend from what the backend
/// read: the backend reads the keys named, calls these, and writes the keys they return.
package enum SigningKeySteps {
    /// Adding `key` at `now`, given the active key and whether the kid is taken: the key added
    /// (active) and the active key retired, when rotating.
    /// - Throws: `conflict` when a key is active and `retiringActive` is false, or the kid is taken.
    package static func add(
        _ key: NewSigningKey, active: SigningKey?, kidTaken: Bool, retiringActive: Bool, at now: Date
    ) throws(StorageError) -> (added: SigningKey, retired: SigningKey?) {
        var retired = active
        if let active {
            guard retiringActive else {
                throw StorageError(.conflict, "signing key \(active.kid) is active; rotate instead of creating another")
            }
            retired?.status = .retired
            retired?.retiredAt = now
        }
        guard !kidTaken else { throw StorageError(.conflict, "a signing key with id \(key.kid) exists") }
        let added = SigningKey(kid: key.kid, publicKey: key.publicKey, sealedPrivateKey: key.sealedPrivateKey, status: .active, createdAt: now)
        return (added, retired)
    }

    /// Retiring the key found under `kid` at `now`: the key as it stands after, and whether it changed
    /// (a retired key stays as it is, and its backend writes nothing).
    /// - Throws: `notFound` when there is no such key.
    package static func retire(_ key: SigningKey?, kid: String, at now: Date) throws(StorageError) -> (key: SigningKey, changed: Bool) {
        guard var key else { throw notFound(kid) }
        guard key.status == .active else { return (key, false) }
        key.status = .retired
        key.retiredAt = now
        return (key, true)
    }

    /// Removing the key found under `kid`: the key removed.
    /// - Throws: `notFound` when there is no such key; `conflict` when it is the active key.
    package static func remove(_ key: SigningKey?, kid: String) throws(StorageError) -> SigningKey {
        guard let key else { throw notFound(kid) }
        guard key.status == .retired else {
            throw StorageError(.conflict, "signing key \(kid.prefix(64)) is active; retire it (or rotate) before removing it")
        }
        return key
    }

    private static func notFound(_ kid: String) -> StorageError {
        StorageError(.notFound, "no signing key with id \(kid.prefix(64))")
    }
}
