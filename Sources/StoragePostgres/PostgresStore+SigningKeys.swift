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
            let now = try await self.lockSigningKeys(connection)
            let step = try SigningKeySteps.add(
                key, active: try await self.activeSigningKey(connection),
                kidTaken: try await self.signingKey(connection, kid: key.kid) != nil, retiringActive: retiringActive, at: now)
            if let retired = step.retired { try await self.markRetired(connection, retired) }
            try await self.execute(
                connection,
                """
                INSERT INTO tmws_signing_keys (kid, public_key, sealed_private_key, status, created_at)
                VALUES (\(key.kid), \(key.publicKey), \(key.sealedPrivateKey), 'active', \(now.postgres))
                """)
            if let event = audit(step.retired) { try await self.insertAudit(connection, event, at: now) }
            return step
        }
    }

    public func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await transaction { connection in
            let now = try await self.lockSigningKeys(connection)
            let step = try SigningKeySteps.retire(try await self.signingKey(connection, kid: kid), kid: kid, at: now)
            if step.changed {
                try await self.markRetired(connection, step.key)
                if let audit { try await self.insertAudit(connection, audit, at: now) }
            }
            return step.key
        }
    }

    public func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await transaction { connection in
            let now = try await self.lockSigningKeys(connection)
            let key = try SigningKeySteps.remove(try await self.signingKey(connection, kid: kid), kid: kid)
            try await self.execute(connection, "DELETE FROM tmws_signing_keys WHERE kid = \(kid)")
            if let audit { try await self.insertAudit(connection, audit, at: now) }
            return key
        }
    }

    /// Takes the signing-key lock for the transaction and reads the time after it.
    private func lockSigningKeys(_ connection: PostgresConnection) async throws -> Date {
        try await execute(connection, "SELECT pg_advisory_xact_lock(\(Self.signingKeyLock))")
        return try await now(connection)
    }

    private func markRetired(_ connection: PostgresConnection, _ key: SigningKey) async throws {
        try await execute(
            connection, "UPDATE tmws_signing_keys SET status = 'retired', retired_at = \(key.retiredAt?.postgres) WHERE kid = \(key.kid)")
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
