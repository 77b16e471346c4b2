import Foundation
import GRDB

extension SQLiteStore {
    public func insertLicense(_ new: NewLicense, audit: NewAuditEvent?) async throws -> License {
        try await write { db, now in
            let license = License(
                id: new.id, ownerID: new.ownerID, namespace: new.namespace, tier: new.tier, keyHash: new.keyHash,
                issuedAt: Timestamp.truncated(new.issuedAt), expiresAt: new.expiresAt.map(Timestamp.truncated),
                createdAt: now, metadata: new.metadata)
            try db.cachedStatement(
                sql: """
                    INSERT INTO license_keys (\(Row.licenseColumns))
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, NULL, NULL, NULL, ?, NULL, 0, ?)
                    """
            ).execute(arguments: [
                license.id.canonicalText, license.ownerID.canonicalText, license.namespace, license.tier, license.keyHash,
                license.issuedAt.sqlText, license.expiresAt?.sqlText, now.sqlText, JSONText.encode(license.metadata),
            ])
            if let audit { try Self.insertAudit(db, audit, at: now) }
            return license
        }
    }

    public func license(id: UUID) async throws -> License? {
        try await read { db in try Self.fetchLicense(db, id: id) }
    }

    static func fetchLicense(_ db: Database, id: UUID) throws -> License? {
        try db.fetchFirst(sql: selectLicenseByID, arguments: [.text(id.canonicalText)]) { try $0.license() }
    }

    /// Built once, as `selectAgentByID` is.
    private static let selectLicenseByID = "SELECT \(Row.licenseColumns) FROM license_keys WHERE id = ?"

    public func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        try await page.keysetPage { cursor, limit in
            let now = Timestamp.truncated(clock()).sqlText
            var query = SQLQuery("SELECT \(Row.licenseColumns) FROM license_keys")
            query.where("agent_id = ?", filter.ownerID?.canonicalText)
            query.where("namespace = ?", filter.namespace)
            query.where("tier = ?", filter.tier)
            switch filter.status {
            case .revoked?: query.where("(revoked_at IS NOT NULL OR is_active = 0)")
            case .expired?: query.where("revoked_at IS NULL AND is_active = 1 AND expires_at <= ?", now)
            case .active?: query.where("revoked_at IS NULL AND is_active = 1 AND (expires_at IS NULL OR expires_at > ?)", now)
            case nil: break
            }
            if let cursor {
                query.where("(created_at, id) < (?, ?)", Timestamp.date(milliseconds: cursor.millis).sqlText, cursor.key.lowercased())
            }
            query.suffix("ORDER BY created_at DESC, id DESC LIMIT ?", limit)
            return try await read { [query] db in
                try Row.fetchAll(db, sql: query.sql, arguments: query.arguments).map { try $0.license() }
            }
        }
    }

    public func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        var query = SQLQuery("SELECT COUNT(*) FROM license_keys")
        query.where("created_at >= ?", since.sqlText)
        query.where("created_at < ?", until?.sqlText)
        return try await read { [query] db in try Int.fetchOne(db, sql: query.sql, arguments: query.arguments) ?? 0 }
    }

    public func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        try await write { db, now in
            guard let license = try Self.fetchLicense(db, id: id) else {
                throw StorageError(.notFound, "no license with this id")
            }
            let revocation = Revocation(revoking: license, at: now, reason: reason, by: revokedBy)
            if !revocation.alreadyRevoked {
                try db.execute(
                    sql: "UPDATE license_keys SET is_active = 0, revoked_at = ?, revoked_reason = ?, revoked_by = ? WHERE id = ?",
                    arguments: [now.sqlText, reason, revokedBy?.canonicalText, id.canonicalText])
            }
            if let event = audit?(revocation) { try Self.insertAudit(db, event, at: now) }
            return revocation
        }
    }

    public func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        try await write { db, now in
            try Self.recordValidation(
                db, now: now, licenseID: licenseID, agent: try Self.fetchAgent(db, id: agentID), agentID: agentID,
                featureAccessed: featureAccessed, authorize: authorize, decide: decide)
        }
    }

    /// One write transaction instead of a read and a write: on a file database the separate read
    /// of the key was a third of a validation's time (a hop to a reader's queue and back, and a read
    /// transaction whose page cache the last write had invalidated).
    public func recordAuthenticatedValidation<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>? {
        try await write { db, now in
            guard let key = try Self.fetchResolvedAPIKey(db, hash: apiKeyHash), key.agent.status == .active else { return nil }
            let (check, recorded) = try Self.recordValidation(
                db, now: now, licenseID: licenseID, agent: key.agent, agentID: key.agent.id, featureAccessed: featureAccessed,
                authorize: authorize, decide: decide)
            return AuthenticatedValidation(key: key, check: check, recorded: recorded)
        }
    }

    /// The body of a validation, inside the caller's write transaction.
    static func recordValidation<Check: Sendable>(
        _ db: Database, now: Date, licenseID: UUID?, agent: Agent?, agentID: UUID, featureAccessed: String?,
        authorize: (Agent?, Date) -> AgentCheck<Check>, decide: (License?, Date) -> ValidationDecision
    ) throws -> (check: Check, recorded: RecordedValidation?) {
        let nowText = now.sqlText
        let check = authorize(agent, now)
        if let audit = check.audit { try insertAudit(db, audit, at: now, nowText: nowText) }
        guard check.allowed else { return (check.result, nil) }
        let plan = ValidationPlan(license: try licenseID.flatMap { try fetchLicense(db, id: $0) }, at: now, decide: decide)
        if plan.bumpsCounter, let license = plan.license {
            try db.execute(
                cached: "UPDATE license_keys SET validation_count = validation_count + 1, last_validated_at = ? WHERE id = ?",
                [.text(nowText), .text(license.id.canonicalText)])
        }
        try db.execute(
            cached: """
                INSERT INTO license_usage_history (license_id, agent_id, validated_at, valid, feature_accessed, failure_reason)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            [
                .text(plan.license?.id.canonicalText), .text(agentID.canonicalText), .text(nowText),
                .integer(plan.decision.valid ? 1 : 0), .text(featureAccessed), .text(plan.decision.failureReason),
            ])
        return (check.result, plan.recorded(usageID: db.lastInsertedRowID, agentID: agentID, at: now, featureAccessed: featureAccessed))
    }

    public func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        try await page.keysetPage { cursor, limit in
            var query = SQLQuery("SELECT \(Row.usageColumns) FROM license_usage_history")
            query.where("license_id = ?", licenseID.canonicalText)
            if let cursor {
                query.where("(validated_at, id) < (?, ?)", Timestamp.date(milliseconds: cursor.millis).sqlText, cursor.rowID)
            }
            query.suffix("ORDER BY validated_at DESC, id DESC LIMIT ?", limit)
            return try await read { [query] db in
                try Row.fetchAll(db.cachedStatement(sql: query.sql), arguments: query.arguments).map { try $0.usage() }
            }
        }
    }

    public func usageCounts(since: Date, until: Date?) async throws -> UsageCounts {
        var query = SQLQuery("SELECT COUNT(*), COALESCE(SUM(valid = 0), 0) FROM license_usage_history")
        query.where("validated_at >= ?", since.sqlText)
        query.where("validated_at < ?", until?.sqlText)
        return try await read { [query] db in
            let row = try Row.fetchOne(db, sql: query.sql, arguments: query.arguments)
            return UsageCounts(total: row?[0] ?? 0, failed: row?[1] ?? 0)
        }
    }
}
