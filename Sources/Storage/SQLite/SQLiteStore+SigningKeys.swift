import Foundation
import GRDB

extension SQLiteStore: SigningKeyStore {
    static let signingKeyColumns = "kid, public_key, sealed_private_key, status, created_at, retired_at"

    public func signingKeys() async throws -> [SigningKey] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.signingKeyColumns) FROM tmws_signing_keys ORDER BY created_at DESC, kid")
                .map { try Self.signingKey($0) }
        }
    }

    public func activeSigningKey() async throws -> SigningKey? {
        try await read { db in try Self.activeSigningKey(db) }
    }

    public func addSigningKey(
        _ key: NewSigningKey, retiringActive: Bool, audit: @escaping @Sendable (SigningKey?) -> NewAuditEvent?
    ) async throws -> (added: SigningKey, retired: SigningKey?) {
        try await write { db, now in
            let step = try SigningKeySteps.add(
                key, active: try Self.activeSigningKey(db), kidTaken: try Self.signingKey(db, kid: key.kid) != nil,
                retiringActive: retiringActive, at: now)
            if let retired = step.retired { try Self.markRetired(db, retired) }
            try db.execute(
                sql: """
                    INSERT INTO tmws_signing_keys (kid, public_key, sealed_private_key, status, created_at)
                    VALUES (?, ?, ?, 'active', ?)
                    """,
                arguments: [key.kid, key.publicKey, key.sealedPrivateKey, now.sqlText])
            if let event = audit(step.retired) { try Self.insertAudit(db, event, at: now) }
            return step
        }
    }

    public func retireSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await write { db, now in
            let step = try SigningKeySteps.retire(try Self.signingKey(db, kid: kid), kid: kid, at: now)
            if step.changed {
                try Self.markRetired(db, step.key)
                if let audit { try Self.insertAudit(db, audit, at: now) }
            }
            return step.key
        }
    }

    public func removeSigningKey(kid: String, audit: NewAuditEvent?) async throws -> SigningKey {
        try await write { db, now in
            let key = try SigningKeySteps.remove(try Self.signingKey(db, kid: kid), kid: kid)
            try db.execute(sql: "DELETE FROM tmws_signing_keys WHERE kid = ?", arguments: [kid])
            if let audit { try Self.insertAudit(db, audit, at: now) }
            return key
        }
    }

    /// One write transaction: the API key resolved, the active key read, the validation recorded.
    public func recordCheckout<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> CheckoutStep<Check> {
        try await write { db, now in
            guard let key = try Self.fetchResolvedAPIKey(db, hash: apiKeyHash), key.agent.status == .active else { return .unauthenticated }
            guard let signingKey = try Self.activeSigningKey(db) else { return .noActiveKey(key) }
            let (check, recorded) = try Self.recordValidation(
                db, now: now, licenseID: licenseID, agent: key.agent, agentID: key.agent.id, featureAccessed: featureAccessed,
                authorize: authorize, decide: decide)
            return .recorded(AuthenticatedValidation(key: key, check: check, recorded: recorded), signingKey: signingKey)
        }
    }

    static func markRetired(_ db: Database, _ key: SigningKey) throws {
        try db.execute(
            sql: "UPDATE tmws_signing_keys SET status = 'retired', retired_at = ? WHERE kid = ?", arguments: [key.retiredAt?.sqlText, key.kid])
    }

    /// Read inside every checkout's transaction: a cached statement, columns read by position.
    static func activeSigningKey(_ db: Database) throws -> SigningKey? {
        try db.fetchFirst(sql: "SELECT \(signingKeyColumns) FROM tmws_signing_keys WHERE status = 'active'", arguments: []) { try signingKey($0) }
    }

    static func signingKey(_ db: Database, kid: String) throws -> SigningKey? {
        try Row.fetchOne(db, sql: "SELECT \(signingKeyColumns) FROM tmws_signing_keys WHERE kid = ?", arguments: [kid]).map { try signingKey($0) }
    }

    /// A row of ``signingKeyColumns``, by position.
    static func signingKey(_ row: some StoredColumns) throws -> SigningKey {
        guard let status = SigningKeyStatus(rawValue: try row.text(3)) else {
            throw StorageError(.corrupt, "a row of tmws_signing_keys has an unknown status")
        }
        return SigningKey(
            kid: try row.text(0), publicKey: try row.text(1), sealedPrivateKey: try row.text(2), status: status, createdAt: try row.date(4),
            retiredAt: try row.optionalDate(5))
    }
}
