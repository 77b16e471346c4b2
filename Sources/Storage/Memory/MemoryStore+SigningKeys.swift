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
            let step = try SigningKeySteps.add(
                key, active: activeIndex.map { state.signingKeys[$0] }, kidTaken: state.signingKeys.contains { $0.kid == key.kid },
                retiringActive: retiringActive, at: now)
            if let activeIndex, let retired = step.retired { state.signingKeys[activeIndex] = retired }
            state.signingKeys.append(step.added)
            if let event = audit(step.retired) { state.append(event, at: now) }
            return step
        }
    }

    public func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try withState { state, now throws(StorageError) in
            let index = state.signingKeys.firstIndex { $0.kid == kid }
            let step = try SigningKeySteps.retire(index.map { state.signingKeys[$0] }, kid: kid, at: now)
            if let index, step.changed {
                state.signingKeys[index] = step.key
                if let audit { state.append(audit, at: now) }
            }
            return step.key
        }
    }

    public func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try withState { state, now throws(StorageError) in
            let index = state.signingKeys.firstIndex { $0.kid == kid }
            let key = try SigningKeySteps.remove(index.map { state.signingKeys[$0] }, kid: kid)
            if let index { state.signingKeys.remove(at: index) }
            if let audit { state.append(audit, at: now) }
            return key
        }
    }
}
