import Foundation
import GRDB

extension SQLiteStore: SigningKeyStore {
    static let signingKeyColumns = "kid, public_key, sealed_private_key, status, created_at, retired_at"

    public func signingKeys() async throws -> [SigningKey] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.signingKeyColumns) FROM tmws_signing_keys ORDER BY created_at DESC, kid")
                .map(Self.signingKey)
        }
    }

    public func activeSigningKey() async throws -> SigningKey? {
        try await read { db in try Self.activeSigningKey(db) }
    }

    public func addSigningKey(
        _ key: NewSigningKey, retiringActive: Bool, audit: @escaping @Sendable (SigningKey?) -> NewAuditEvent?
    ) async throws -> (added: SigningKey, retired: SigningKey?) {
        try await write { db, now in
            var retired = try Self.activeSigningKey(db)
            if let active = retired {
                guard retiringActive else {
                    throw StorageError(.conflict, "signing key \(active.kid) is active; rotate instead of creating another")
                }
                try db.execute(
                    sql: "UPDATE tmws_signing_keys SET status = 'retired', retired_at = ? WHERE kid = ?", arguments: [now.sqlText, active.kid])
                retired?.status = .retired
                retired?.retiredAt = now
            }
            guard try Self.signingKey(db, kid: key.kid) == nil else {
                throw StorageError(.conflict, "a signing key with id \(key.kid) exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO tmws_signing_keys (kid, public_key, sealed_private_key, status, created_at)
                    VALUES (?, ?, ?, 'active', ?)
                    """,
                arguments: [key.kid, key.publicKey, key.sealedPrivateKey, now.sqlText])
            if let event = audit(retired) { try Self.insertAudit(db, event, at: now) }
            let added = SigningKey(
                kid: key.kid, publicKey: key.publicKey, sealedPrivateKey: key.sealedPrivateKey, status: .active, createdAt: now)
            return (added, retired)
        }
    }

    public func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await write { db, now in
            guard var key = try Self.signingKey(db, kid: kid) else { throw StorageError(.notFound, "no signing key with id \(kid.prefix(64))") }
            guard key.status == .active else { return key }
            try db.execute(sql: "UPDATE tmws_signing_keys SET status = 'retired', retired_at = ? WHERE kid = ?", arguments: [now.sqlText, kid])
            if let audit { try Self.insertAudit(db, audit, at: now) }
            key.status = .retired
            key.retiredAt = now
            return key
        }
    }

    public func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await write { db, now in
            guard let key = try Self.signingKey(db, kid: kid) else { throw StorageError(.notFound, "no signing key with id \(kid.prefix(64))") }
            guard key.status == .retired else {
                throw StorageError(.conflict, "signing key \(kid.prefix(64)) is active; retire it (or rotate) before removing it")
            }
            try db.execute(sql: "DELETE FROM tmws_signing_keys WHERE kid = ?", arguments: [kid])
            if let audit { try Self.insertAudit(db, audit, at: now) }
            return key
        }
    }

    static func activeSigningKey(_ db: Database) throws -> SigningKey? {
        try Row.fetchOne(db, sql: "SELECT \(signingKeyColumns) FROM tmws_signing_keys WHERE status = 'active'").map(signingKey)
    }

    static func signingKey(_ db: Database, kid: String) throws -> SigningKey? {
        try Row.fetchOne(db, sql: "SELECT \(signingKeyColumns) FROM tmws_signing_keys WHERE kid = ?", arguments: [kid]).map(signingKey)
    }

    static func signingKey(_ row: Row) throws -> SigningKey {
        guard let status = SigningKeyStatus(rawValue: row["status"]), let created = Timestamp.parse(row["created_at"]) else {
            throw StorageError(.corrupt, "a row of tmws_signing_keys has an unknown status or a malformed time")
        }
        return SigningKey(
            kid: row["kid"], publicKey: row["public_key"], sealedPrivateKey: row["sealed_private_key"], status: status, createdAt: created,
            retiredAt: (row["retired_at"] as String?).flatMap(Timestamp.parse))
    }
}
