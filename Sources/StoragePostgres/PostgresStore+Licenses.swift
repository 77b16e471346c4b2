import Foundation
import PostgresNIO
import TMWSStorage

extension PostgresStore {
    public func insertLicense(_ new: NewLicense, audit: NewAuditEvent?) async throws -> License {
        try await transaction { connection in
            let now = try await self.now(connection)
            let license = License(
                id: new.id, ownerID: new.ownerID, namespace: new.namespace.storable, tier: new.tier.storable,
                keyHash: new.keyHash.storable, issuedAt: Timestamp.truncated(new.issuedAt),
                expiresAt: new.expiresAt.map(Timestamp.truncated), createdAt: now, metadata: new.metadata)
            let metadata = JSONText.encode(license.metadata).storable
            try await self.execute(
                connection,
                """
                INSERT INTO license_keys (id, agent_id, namespace, tier, license_key_hash, issued_at, expires_at, is_active,
                    created_at, validation_count, metadata)
                VALUES (\(license.id), \(license.ownerID), \(license.namespace), \(license.tier), \(license.keyHash),
                    \(license.issuedAt.postgres), \(license.expiresAt?.postgres), TRUE, \(now.postgres), 0, \(metadata)::jsonb)
                """)
            if let audit { try await self.insertAudit(connection, audit, at: now) }
            return License(
                id: license.id, ownerID: license.ownerID, namespace: license.namespace, tier: license.tier,
                keyHash: license.keyHash, issuedAt: license.issuedAt, expiresAt: license.expiresAt, createdAt: now,
                metadata: try JSONText.decode(metadata))
        }
    }

    public func license(id: UUID) async throws -> License? {
        try await run { connection in try await self.fetchLicense(connection, id: id, lock: false) }
    }

    /// Reads a license; with `lock`, also takes its row lock until the transaction ends, so that
    /// validations and revocations of one license are ordered across every server.
    func fetchLicense(_ connection: PostgresConnection, id: UUID, lock: Bool) async throws -> License? {
        try await fetchOne(
            connection, "SELECT \(unescaped: Columns.license) FROM license_keys WHERE id = \(id)\(unescaped: lock ? " FOR UPDATE" : "")"
        ) { try $0.license() }
    }

    public func licenses(matching filter: LicenseFilter, page: PageRequest) async throws -> Page<License> {
        try await page.keysetPage { cursor, limit in
            return try await run { connection in
                let now = try await self.now(connection)
                var query = PostgresFilterQuery("SELECT \(Columns.license) FROM license_keys")
                query.where("agent_id = ?", filter.ownerID)
                query.where("namespace = ?", filter.namespace?.storable)
                query.where("tier = ?", filter.tier?.storable)
                switch filter.status {
                case .revoked?: query.where("(revoked_at IS NOT NULL OR NOT is_active)")
                case .expired?: query.where("revoked_at IS NULL AND is_active AND expires_at <= ?", now.postgres)
                case .active?: query.where("revoked_at IS NULL AND is_active AND (expires_at IS NULL OR expires_at > ?)", now.postgres)
                case nil: break
                }
                if let cursor {
                    query.where("(created_at, id) < (?, ?)", Timestamp.date(milliseconds: cursor.millis).postgres, UUID(canonicalText: cursor.key))
                }
                query.suffix("ORDER BY created_at DESC, id DESC", limit: limit)
                return try await self.fetch(connection, query.query) { try $0.license() }
            }
        }
    }

    public func countLicenses(createdSince since: Date, until: Date?) async throws -> Int {
        var query = PostgresFilterQuery("SELECT COUNT(*) FROM license_keys")
        query.where("created_at >= ?", since.postgres)
        query.where("created_at < ?", until?.postgres)
        return try await run { [query] connection in
            Int(try await self.fetchOne(connection, query.query) { try $0.next(Int64.self) } ?? 0)
        }
    }

    public func revokeLicense(
        id: UUID, reason: String?, revokedBy: UUID?, audit: (@Sendable (Revocation) -> NewAuditEvent?)?
    ) async throws -> Revocation {
        try await transaction { connection in
            guard let license = try await self.fetchLicense(connection, id: id, lock: true) else {
                throw StorageError(.notFound, "no license with this id")
            }
            let now = try await self.now(connection)
            let reason = reason?.storable
            let revocation = Revocation(revoking: license, at: now, reason: reason, by: revokedBy)
            if !revocation.alreadyRevoked {
                try await self.execute(
                    connection,
                    """
                    UPDATE license_keys SET is_active = FALSE, revoked_at = \(now.postgres), revoked_reason = \(reason),
                        revoked_by = \(revokedBy)
                    WHERE id = \(id)
                    """)
            }
            if let event = audit?(revocation) { try await self.insertAudit(connection, event, at: now) }
            return revocation
        }
    }

    public func recordValidation<Check: Sendable>(
        licenseID: UUID?, agentID: UUID, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> (check: Check, recorded: RecordedValidation?) {
        try await transaction { connection in
            // The row lock first, then the time: a revocation that commits before this lock is
            // seen, and one that waits for it is dated after this validation.
            let license = try await licenseID.asyncFlatMap { try await self.fetchLicense(connection, id: $0, lock: true) }
            let (agent, now) = try await self.fetchAgentAndNow(connection, id: agentID)
            let check = authorize(agent, now)
            if let audit = check.audit { try await self.insertAudit(connection, audit, at: now) }
            guard check.allowed else { return (check.result, nil) }
            let plan = ValidationPlan(license: license, at: now, decide: decide)
            if plan.bumpsCounter, let license = plan.license {
                try await self.execute(
                    connection,
                    """
                    UPDATE license_keys SET validation_count = validation_count + 1, last_validated_at = \(now.postgres)
                    WHERE id = \(license.id)
                    """)
            }
            let feature = featureAccessed?.storable
            let reason = plan.decision.failureReason?.storable
            let ids = try await self.fetch(
                connection,
                """
                INSERT INTO license_usage_history (license_id, agent_id, validated_at, valid, feature_accessed, failure_reason)
                VALUES (\(plan.license?.id), \(agentID), \(now.postgres), \(plan.decision.valid), \(feature), \(reason))
                RETURNING id
                """
            ) { try $0.next(Int64.self) }
            guard let id = ids.first else { throw StorageError(.internalError, "PostgreSQL returned no usage row id") }
            return (check.result, plan.recorded(usageID: id, agentID: agentID, at: now, featureAccessed: feature))
        }
    }

    /// Resolves the key, then records (two steps: the resolution is a cheap query on a pooled connection).
    public func recordAuthenticatedValidation<Check: Sendable>(
        apiKeyHash: String, licenseID: UUID?, featureAccessed: String?,
        authorize: @escaping @Sendable (Agent?, Date) -> AgentCheck<Check>,
        decide: @escaping @Sendable (License?, Date) -> ValidationDecision
    ) async throws -> AuthenticatedValidation<Check>? {
        try await recordAuthenticatedValidationInTwoSteps(
            apiKeyHash: apiKeyHash, licenseID: licenseID, featureAccessed: featureAccessed, authorize: authorize, decide: decide)
    }

    public func usageHistory(licenseID: UUID, page: PageRequest) async throws -> Page<UsageRecord> {
        try await page.keysetPage { cursor, limit in
            var query = PostgresFilterQuery("SELECT \(Columns.usage) FROM license_usage_history")
            query.where("license_id = ?", licenseID)
            if let cursor {
                query.where("(validated_at, id) < (?, ?)", Timestamp.date(milliseconds: cursor.millis).postgres, cursor.rowID)
            }
            query.suffix("ORDER BY validated_at DESC, id DESC", limit: limit)
            return try await run { [query] connection in try await self.fetch(connection, query.query) { try $0.usage() } }
        }
    }

    public func usageCounts(since: Date, until: Date?) async throws -> UsageCounts {
        var query = PostgresFilterQuery("SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT valid) FROM license_usage_history")
        query.where("validated_at >= ?", since.postgres)
        query.where("validated_at < ?", until?.postgres)
        return try await run { [query] connection in
            try await self.fetchOne(connection, query.query) { row in
                UsageCounts(total: Int(try row.next(Int64.self)), failed: Int(try row.next(Int64.self)))
            } ?? UsageCounts(total: 0, failed: 0)
        }
    }
}

extension Optional {
    /// `flatMap` for an async transform.
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
