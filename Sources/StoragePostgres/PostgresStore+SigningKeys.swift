import Foundation
import PostgresNIO
import TMWSStorage

extension PostgresStore: SigningKeyStore {
    /// The advisory lock every signing-key change holds, so that changes from several servers apply
    /// one after another, each seeing the one before.
    static let signingKeyLock: Int64 = 0x746D_7773_6B65_7973  // "tmwskeys"
    static let signingKeyColumns = "kid, public_key, sealed_private_key, status, created_at, retired_at"

    public func signingKeys() async throws -> [SigningKey] {
        try await run { connection in
            try await self.fetch(
                connection, "SELECT \(unescaped: Self.signingKeyColumns) FROM tmws_signing_keys ORDER BY created_at DESC, kid"
            ) { try $0.signingKey() }
        }
    }

    public func activeSigningKey() async throws -> SigningKey? {
        try await run { connection in try await self.activeSigningKey(connection) }
    }

    public func addSigningKey(
        _ key: NewSigningKey, retiringActive: Bool, audit: @escaping @Sendable (SigningKey?) -> NewAuditEvent?
    ) async throws -> (added: SigningKey, retired: SigningKey?) {
        try await transaction { connection in
            try await self.execute(connection, "SELECT pg_advisory_xact_lock(\(Self.signingKeyLock))")
            let now = try await self.now(connection)
            var retired = try await self.activeSigningKey(connection)
            if let active = retired {
                guard retiringActive else {
                    throw StorageError(.conflict, "signing key \(active.kid) is active; rotate instead of creating another")
                }
                try await self.execute(
                    connection, "UPDATE tmws_signing_keys SET status = 'retired', retired_at = \(now.postgres) WHERE kid = \(active.kid)")
                retired?.status = .retired
                retired?.retiredAt = now
            }
            guard try await self.signingKey(connection, kid: key.kid) == nil else {
                throw StorageError(.conflict, "a signing key with id \(key.kid) exists")
            }
            try await self.execute(
                connection,
                """
                INSERT INTO tmws_signing_keys (kid, public_key, sealed_private_key, status, created_at)
                VALUES (\(key.kid), \(key.publicKey), \(key.sealedPrivateKey), 'active', \(now.postgres))
                """)
            if let event = audit(retired) { try await self.insertAudit(connection, event, at: now) }
            let added = SigningKey(
                kid: key.kid, publicKey: key.publicKey, sealedPrivateKey: key.sealedPrivateKey, status: .active, createdAt: now)
            return (added, retired)
        }
    }

    public func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await transaction { connection in
            try await self.execute(connection, "SELECT pg_advisory_xact_lock(\(Self.signingKeyLock))")
            let now = try await self.now(connection)
            guard var key = try await self.signingKey(connection, kid: kid) else {
                throw StorageError(.notFound, "no signing key with id \(kid.prefix(64))")
            }
            guard key.status == .active else { return key }
            try await self.execute(connection, "UPDATE tmws_signing_keys SET status = 'retired', retired_at = \(now.postgres) WHERE kid = \(kid)")
            if let audit { try await self.insertAudit(connection, audit, at: now) }
            key.status = .retired
            key.retiredAt = now
            return key
        }
    }

    public func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await transaction { connection in
            try await self.execute(connection, "SELECT pg_advisory_xact_lock(\(Self.signingKeyLock))")
            let now = try await self.now(connection)
            guard let key = try await self.signingKey(connection, kid: kid) else {
                throw StorageError(.notFound, "no signing key with id \(kid.prefix(64))")
            }
            guard key.status == .retired else {
                throw StorageError(.conflict, "signing key \(kid.prefix(64)) is active; retire it (or rotate) before removing it")
            }
            try await self.execute(connection, "DELETE FROM tmws_signing_keys WHERE kid = \(kid)")
            if let audit { try await self.insertAudit(connection, audit, at: now) }
            return key
        }
    }

    func activeSigningKey(_ connection: PostgresConnection) async throws -> SigningKey? {
        try await fetchOne(connection, "SELECT \(unescaped: Self.signingKeyColumns) FROM tmws_signing_keys WHERE status = 'active'") {
            try $0.signingKey()
        }
    }

    func signingKey(_ connection: PostgresConnection, kid: String) async throws -> SigningKey? {
        try await fetchOne(connection, "SELECT \(unescaped: Self.signingKeyColumns) FROM tmws_signing_keys WHERE kid = \(kid)") {
            try $0.signingKey()
        }
    }
}

extension PostgresRowReader {
    mutating func signingKey() throws -> SigningKey {
        let kid = try next(String.self), publicKey = try next(String.self), sealed = try next(String.self)
        guard let status = SigningKeyStatus(rawValue: try next(String.self)) else {
            throw StorageError(.corrupt, "a row of tmws_signing_keys has an unknown status")
        }
        return SigningKey(
            kid: kid, publicKey: publicKey, sealedPrivateKey: sealed, status: status, createdAt: try date(), retiredAt: try optionalDate())
    }
}
