import Foundation
import TMWSTestSupport
import Testing

@testable import TMWSStorage

/// The SQLite store's hot paths bind, step and read cached statements through the sqlite3 C API,
/// and run `BEGIN`/`COMMIT` as cached statements. These tests pin what that must not change:
/// damaged rows are `corrupt` (never a crash), a failing statement rolls the whole transaction
/// back and leaves the connection usable, and text survives the round trip byte for byte.
@Suite struct SQLiteStatementPathTests {
    let directory: TemporaryDirectory
    let path: String
    let store: SQLiteStore
    let owner: Agent

    init() async throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/tmws.db"
        store = try await SQLiteStore.open(path: path, migrate: true)
        owner = try await store.createAgent(NewAgent(name: "owner", namespace: "default", role: "editor"))
    }

    func license() async throws -> License {
        let id = UUID()
        return try await store.insertLicense(
            NewLicense(
                id: id, ownerID: owner.id, namespace: "default", tier: "PRO", keyHash: "hash-" + id.canonicalText,
                issuedAt: Date(), expiresAt: nil, metadata: ["customer": "acme"]),
            audit: nil)
    }

    func count(_ table: String) throws -> Int64 {
        try RawSQLiteConnection(path: path).count(table)
    }

    /// An authorizer that allows and writes an audit row, as the permission check does.
    static let allowWithAudit: @Sendable (Agent?, Date) -> AgentCheck<Void> = { agent, _ in
        AgentCheck(
            result: (), allowed: true,
            audit: NewAuditEvent(eventType: "permission_check", severity: .info, userID: agent?.id, details: ["result": "ALLOW"]))
    }

    @Test(arguments: [
        ("issued_at", "'not a timestamp'"), ("created_at", "'2026-13-45 99:99:99'"), ("agent_id", "'not-a-uuid'"),
        ("revoked_by", "'550e8400-e29b-41d4-a716-44665544zzzz'"), ("metadata", "'[1, 2]'"),
    ])
    func damagedLicenseRowsAreCorrupt(column: String, value: String) async throws {
        let license = try await license()
        let sql = try RawSQLiteConnection(path: path)
        try sql.run("PRAGMA foreign_keys = OFF")
        try sql.run("UPDATE license_keys SET \(column) = \(value) WHERE id = '\(license.id.canonicalText)'")
        let read = await #expect(throws: StorageError.self) { _ = try await store.license(id: license.id) }
        #expect(read?.code == .corrupt)

        let usageBefore = try count("license_usage_history")
        let auditBefore = try count("security_audit_logs")
        let validation = await #expect(throws: StorageError.self) {
            _ = try await store.recordValidation(
                licenseID: license.id, agentID: owner.id, featureAccessed: "x", authorize: Self.allowWithAudit
            ) { _, _ in .valid }
        }
        #expect(validation?.code == .corrupt)
        // The audit row written before the license was read is rolled back with the rest.
        #expect(try count("license_usage_history") == usageBefore)
        #expect(try count("security_audit_logs") == auditBefore)
    }

    @Test func aFailingStatementRollsBackTheTransactionAndTheConnectionStaysUsable() async throws {
        let license = try await license()
        let sql = try RawSQLiteConnection(path: path)
        try sql.run(
            """
            CREATE TRIGGER refuse_usage BEFORE INSERT ON license_usage_history
            BEGIN SELECT RAISE(ABORT, 'refused by test'); END
            """)
        await #expect(throws: StorageError.self) {
            _ = try await store.recordValidation(
                licenseID: license.id, agentID: owner.id, featureAccessed: "x", authorize: Self.allowWithAudit
            ) { _, _ in .valid }
        }
        // Nothing of the attempt remains: not the audit row, not the counter.
        #expect(try count("security_audit_logs") == 0)
        #expect(try await store.license(id: license.id)?.validationCount == 0)

        try sql.run("DROP TRIGGER refuse_usage")
        for attempt in 1...3 {
            let (_, recorded) = try await store.recordValidation(
                licenseID: license.id, agentID: owner.id, featureAccessed: "x", authorize: Self.allowWithAudit
            ) { _, _ in .valid }
            #expect(recorded?.license?.validationCount == Int64(attempt))
        }
        #expect(try count("license_usage_history") == 3)
        #expect(try count("security_audit_logs") == 3)
    }

    @Test func textRoundTripsByteForByte() async throws {
        let license = try await license()
        let features = [
            "plain", "", "quote\" backslash\\ slash/", "line\nbreak\ttab\rreturn", "control \u{01}\u{1F}", "emoji 🔑👩‍💻",
            "separators \u{2028} \u{2029}", "rtl \u{202E}abc", "accents éàü", "a'; DROP TABLE license_keys; --",
        ]
        for feature in features {
            _ = try await store.recordValidation(
                licenseID: license.id, agentID: owner.id, featureAccessed: feature,
                authorize: { agent, _ in
                    AgentCheck(
                        result: (), allowed: true,
                        audit: NewAuditEvent(eventType: "permission_check", severity: .info, userID: agent?.id, details: ["feature": feature]))
                }
            ) { _, _ in .valid }
        }
        let stored = try await store.usageHistory(licenseID: license.id, page: PageRequest(limit: 100)).items
        #expect(Set(stored.map(\.featureAccessed)) == Set(features))
        let audit = try await store.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 100)).items
        #expect(Set(audit.compactMap { $0.details["feature"] }) == Set(features))
    }

    @Test func aRevokedKeyOrAMissingKeyResolvesToNothingAndWritesNothing() async throws {
        let key = try await store.addAPIKey(agentID: owner.id, keyHash: String(repeating: "a", count: 64), prefix: "tmws_aaaa")
        let license = try await license()
        _ = try await store.revokeAPIKey(id: key.id)
        for hash in [key.keyHash, String(repeating: "b", count: 64)] {
            let outcome = try await store.recordAuthenticatedValidation(
                apiKeyHash: hash, licenseID: license.id, featureAccessed: nil, authorize: Self.allowWithAudit
            ) { _, _ in .valid }
            #expect(outcome == nil)
        }
        #expect(try count("license_usage_history") == 0)
        #expect(try count("security_audit_logs") == 0)
    }
}

@Suite struct JSONTextTests {
    @Test func decodesAStringThatStartsWithAByteOrderMark() throws {
        #expect(try JSONText.decode("{\"k\":\"\u{FEFF}a\",\"n\":null}") == ["k": "\u{FEFF}a"])
        #expect(try JSONText.decode(#"{"n":1,"b":true,"o":{"z":1,"a":[2]}}"#) == ["n": "1", "b": "true", "o": #"{"a":[2],"z":1}"#])
        #expect(throws: StorageError.self) { try JSONText.decode("[1]") }
    }

    @Test func encodesSortedKeysWithEscapes() {
        #expect(JSONText.encode([:]) == "{}")
        #expect(JSONText.encode(["b": "2", "a": "1"]) == #"{"a":"1","b":"2"}"#)
        #expect(JSONText.encode(["k": "q\"b\\n\nr\rt\t"]) == #"{"k":"q\"b\\n\nr\rt\t"}"#)
        #expect(JSONText.encode(["k": "\u{00}\u{01}\u{1F}"]) == #"{"k":"\u0000\u0001\u001f"}"#)
        #expect(JSONText.encode(["k": "a\u{2028}b\u{2029}c"]) == #"{"k":"a\u2028b\u2029c"}"#)
        #expect(JSONText.encode(["k": "é🔑\u{202E}\u{2027}\u{202A}"]) == "{\"k\":\"é🔑\u{202E}\u{2027}\u{202A}\"}")
    }

    /// Random strings of awkward characters encode to JSON that a JSON parser reads back as the
    /// same strings, and `decode` returns the original object. (JSONDecoder is the reference:
    /// JSONSerialization on Linux drops a U+FEFF after an opening quote or an escape.)
    @Test func roundTripsRandomText() throws {
        let alphabet: [Character] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{00}", "\u{08}", "\u{1F}", "\u{7F}", "é", "\u{2028}",
            "\u{2029}", "\u{2027}", "\u{20AC}", "🔑", "👩‍💻", "\u{FEFF}", "\u{E2}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var object: [String: String] = [:]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let key = String((0..<Int.random(in: 0...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
                object[key] = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            }
            let text = JSONText.encode(object)
            let parsed = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            #expect(parsed == object, "\(text)")
            #expect(try JSONText.decode(text) == object)
        }
    }
}
