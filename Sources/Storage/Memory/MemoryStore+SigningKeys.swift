import Foundation

extension MemoryStore: SigningKeyStore {
    public func signingKeys() async throws -> [SigningKey] {
        try withState { state, _ in
            state.signingKeys.sorted { ($0.createdAt, $1.kid) > ($1.createdAt, $0.kid) }
        }
    }

    public func activeSigningKey() async throws -> SigningKey? {
        try withState { state, _ in state.signingKeys.first { $0.status == .active } }
    }

    public func addSigningKey(
        _ key: NewSigningKey, retiringActive: Bool, audit: @escaping @Sendable (SigningKey?) -> NewAuditEvent?
    ) async throws -> (added: SigningKey, retired: SigningKey?) {
        try withState { state, now throws(StorageError) in
            let activeIndex = state.signingKeys.firstIndex { $0.status == .active }
            if let activeIndex, !retiringActive {
                throw StorageError(.conflict, "signing key \(state.signingKeys[activeIndex].kid) is active; rotate instead of creating another")
            }
            guard !state.signingKeys.contains(where: { $0.kid == key.kid }) else {
                throw StorageError(.conflict, "a signing key with id \(key.kid) exists")
            }
            var retired: SigningKey?
            if let activeIndex {
                state.signingKeys[activeIndex].status = .retired
                state.signingKeys[activeIndex].retiredAt = now
                retired = state.signingKeys[activeIndex]
            }
            let added = SigningKey(
                kid: key.kid, publicKey: key.publicKey, sealedPrivateKey: key.sealedPrivateKey, status: .active, createdAt: now)
            state.signingKeys.append(added)
            if let event = audit(retired) { state.append(event, at: now) }
            return (added, retired)
        }
    }

    public func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try withState { state, now throws(StorageError) in
            guard let index = state.signingKeys.firstIndex(where: { $0.kid == kid }) else {
                throw StorageError(.notFound, "no signing key with id \(kid.prefix(64))")
            }
            guard state.signingKeys[index].status == .active else { return state.signingKeys[index] }
            state.signingKeys[index].status = .retired
            state.signingKeys[index].retiredAt = now
            if let audit { state.append(audit, at: now) }
            return state.signingKeys[index]
        }
    }

    public func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try withState { state, now throws(StorageError) in
            guard let index = state.signingKeys.firstIndex(where: { $0.kid == kid }) else {
                throw StorageError(.notFound, "no signing key with id \(kid.prefix(64))")
            }
            guard state.signingKeys[index].status == .retired else {
                throw StorageError(.conflict, "signing key \(kid.prefix(64)) is active; retire it (or rotate) before removing it")
            }
            if let audit { state.append(audit, at: now) }
            return state.signingKeys.remove(at: index)
        }
    }
}
