import Foundation
import GRDB
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Forged and mangled keys: each is refused with its stable code, discloses nothing about the
/// license — not even that it exists (a key that is not the one stored for its id is NOT_FOUND,
/// like an unknown id; #15, item 13) — and is recorded as exactly one usage row.
@Suite struct TamperedKeyTests {
    /// One way of changing a genuine key (a dated PRO license).
    enum Tamper: String, CaseIterable, Sendable, CustomStringConvertible {
        case tierRaised, tierResignedWithSecret, otherUUID, checksumDigit, otherSecret, expiryResignedPerpetual
        case expiryResignedLater, uppercaseUUID, bracedUUID, nonASCIIChecksum, megabyte, empty

        var description: String { rawValue }

        var expected: VerdictCode {
            switch self {
            case .tierRaised, .tierResignedWithSecret, .checksumDigit, .otherSecret, .expiryResignedPerpetual, .expiryResignedLater,
                .otherUUID:
                .notFound
            case .uppercaseUUID, .bracedUUID, .nonASCIIChecksum, .megabyte, .empty: .malformed
            }
        }

        /// Whether the attempt names the license's id (and so is recorded against it).
        var resolvesToLicense: Bool { expected == .notFound && self != .otherUUID }

        func apply(to key: String, license: License) -> String {
            let id = license.id.lower
            switch self {
            case .tierRaised:
                return key.replacingOccurrences(of: "TMWS-PRO-", with: "TMWS-ENTERPRISE-")
            case .tierResignedWithSecret:
                // The secret is right and the expiry is right, but the license is not ENTERPRISE.
                return ServiceFixture.signer.key(tier: .enterprise, id: license.id, expiresAt: license.expiresAt).text
            case .otherUUID:
                return key.replacingOccurrences(of: id, with: UUID().uuidString.lowercased())
            case .checksumDigit:
                return Forgery.changingLastHexDigit(of: key)
            case .otherSecret:
                return ServiceFixture.otherSigner.key(tier: .pro, id: license.id, expiresAt: license.expiresAt).text
            case .expiryResignedPerpetual:
                return ServiceFixture.signer.key(tier: .pro, id: license.id, expiresAt: nil).text
            case .expiryResignedLater:
                return ServiceFixture.signer.key(tier: .pro, id: license.id, expiresAt: license.expiresAt! + 365 * 86_400).text
            case .uppercaseUUID:
                return key.replacingOccurrences(of: id, with: id.uppercased())
            case .bracedUUID:
                return key.replacingOccurrences(of: id, with: "{\(id)}")
            case .nonASCIIChecksum:
                return String(key.dropLast()) + "é"
            case .megabyte:
                return String(repeating: key, count: 1_000_000 / key.utf8.count + 1)
            case .empty:
                return ""
            }
        }
    }

    @Test(arguments: StoreBackend.allCases, Tamper.allCases)
    func tamperedKeyIsRefusedAndRecordedOnce(_ backend: StoreBackend, _ tamper: Tamper) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let viewer = try await f.agent("viewer", role: .viewer)
        let generated = try await f.generate(by: editor, tier: .pro, days: 30)
        let id = generated.license.id
        let forged = tamper.apply(to: generated.key, license: generated.license)
        #expect(forged != generated.key)

        let before = try await f.usageCounts()
        let result = try await f.service.validateLicenseKey(as: viewer, key: forged, featureAccessed: "export")
        #expect(result.code == tamper.expected)
        #expect(!result.valid)
        // A forged or unknown key learns nothing about the license.
        #expect(result.tier == nil && result.licenseID == nil && result.expiresAt == nil && result.isPerpetual == nil)

        let after = try await f.usageCounts()
        #expect(after.total == before.total + 1)
        #expect(after.failed == before.failed + 1)
        let rows = try await f.usageRows(id)
        if tamper.resolvesToLicense {
            #expect(rows.count == 1)
            #expect(rows.first?.licenseID == id)
            #expect(rows.first?.valid == false)
            #expect(rows.first?.failureReason == tamper.expected.rawValue)
            #expect(rows.first?.agentID == viewer.agentID)
            #expect(rows.first?.featureAccessed == "export")
        } else {
            // license_id is NULL: nothing is recorded against the license.
            #expect(rows.isEmpty)
        }
        let license = try #require(try await f.license(id))
        #expect(license.validationCount == 0 && license.lastValidatedAt == nil)

        // The genuine key is untouched by the attempt.
        #expect(try await f.service.validateLicenseKey(as: viewer, key: generated.key).code == .valid)
        #expect(try await f.usageRows(id).count == (tamper.resolvesToLicense ? 2 : 1))
    }

    /// A perpetual license's key re-signed with a made-up expiry, and a key copied between licenses.
    @Test(arguments: StoreBackend.allCases)
    func perpetualResignedAndSwappedKeys(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let perpetual = try await f.generate(by: editor, tier: .enterprise, days: nil)
        let dated = try await f.generate(by: editor, tier: .enterprise, days: 30)
        let resigned = ServiceFixture.signer.key(tier: .enterprise, id: perpetual.license.id, expiresAt: f.clock.date + 86_400).text
        #expect(try await f.service.validateLicenseKey(as: editor, key: resigned).code == .notFound)
        // The dated license's id with the perpetual license's checksum.
        let swapped = "TMWS-ENTERPRISE-\(dated.license.id.lower)-\(perpetual.key.suffix(16))"
        #expect(swapped != dated.key)
        #expect(try await f.service.validateLicenseKey(as: editor, key: swapped).code == .notFound)
        #expect(try await f.usageRows(perpetual.license.id).map(\.failureReason) == ["NOT_FOUND"])
        #expect(try await f.usageRows(dated.license.id).map(\.failureReason) == ["NOT_FOUND"])
    }

    /// The checksum is checked before the storage step against the expiry the license had when it
    /// was last validated; when the stored expiry has changed since (here by raw SQL), the step
    /// checks against what it reads, so a stale hint never decides a verdict.
    @Test func aChangedExpiryIsCheckedInsideTheStep() async throws {
        let f = try await ServiceFixture(.sqliteFile)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor, tier: .pro, days: 30)
        let id = generated.license.id
        #expect(try await f.service.validateLicenseKey(as: editor, key: generated.key).code == .valid)

        // The license is re-issued by raw SQL with another expiry (and the new key's hash).
        let queue = try DatabaseQueue(path: try #require(f.handle.directory).path + "/tmws.db")
        func reissue(expiresAt: Date?) async throws -> String {
            let key = ServiceFixture.signer.key(tier: .pro, id: id, expiresAt: expiresAt).text
            try await queue.write { db in
                try db.execute(
                    sql: "UPDATE license_keys SET expires_at = ?, license_key_hash = ? WHERE id = ?",
                    arguments: [expiresAt.map(Timestamp.sqliteText), LicenseSigner.hash(key), id.lower])
            }
            return key
        }
        // The old key's checksum was checked against the old expiry before the step; the step
        // reads the new one and checks again.
        let later = try await reissue(expiresAt: generated.license.expiresAt! + 365 * 86_400)
        #expect(try await f.service.validateLicenseKey(as: editor, key: later).code == .valid)
        #expect(try await f.service.validateLicenseKey(as: editor, key: generated.key).code == .notFound, "no longer the stored key")

        // Back to the first expiry, with the later key's hash still stored: the later key's
        // checksum, checked before the step against the later expiry (last read), does not sign
        // what the step reads. Were the hint trusted, this would be VALID.
        try await queue.write { db in
            try db.execute(
                sql: "UPDATE license_keys SET expires_at = ? WHERE id = ?",
                arguments: [Timestamp.sqliteText(generated.license.expiresAt!), id.lower])
        }
        #expect(try await f.service.validateLicenseKey(as: editor, key: later).code == .badSignature)

        let perpetual = try await reissue(expiresAt: nil)
        #expect(try await f.service.validateLicenseKey(as: editor, key: later).code == .notFound)
        #expect(try await f.service.validateLicenseKey(as: editor, key: perpetual).code == .valid)
        #expect(try await f.usageRows(id).map(\.failureReason).reversed() == [nil, nil, "NOT_FOUND", "BAD_SIGNATURE", "NOT_FOUND", nil])
    }

    /// BAD_SIGNATURE is what a deployment running with another signing secret answers for the keys
    /// it stores (the key is the stored one, its checksum signs nothing this secret made).
    @Test(arguments: StoreBackend.allCases)
    func aGenuineKeyUnderAnotherSecretIsBadSignature(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let generated = try await f.generate(by: editor, tier: .pro, days: 30)
        let elsewhere = LicenseService(context: ServiceContext(store: f.store, clock: f.clock.now), signer: ServiceFixture.otherSigner)
        let result = try await elsewhere.validateLicenseKey(as: editor, key: generated.key)
        #expect(result.code == .badSignature)
        #expect(result.licenseID == nil && result.tier == nil, "nothing is disclosed")
        #expect(try await f.service.validateLicenseKey(as: editor, key: generated.key).code == .valid)
    }

    /// A key signed correctly for an id that was never issued is NOT_FOUND, and so is a forged key
    /// for a revoked or expired license: authenticity is checked before state.
    @Test(arguments: StoreBackend.allCases)
    func authenticityIsCheckedBeforeState(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let generated = try await f.generate(by: admin, tier: .pro, days: 30)
        let never = ServiceFixture.signer.key(tier: .pro, id: UUID(), expiresAt: nil).text
        #expect(try await f.service.validateLicenseKey(as: admin, key: never).code == .notFound)

        let forged = ServiceFixture.otherSigner.key(tier: .pro, id: generated.license.id, expiresAt: generated.license.expiresAt).text
        _ = try await f.service.revokeLicenseKey(as: admin, id: generated.license.id, reason: "test")
        let revoked = try await f.service.validateLicenseKey(as: admin, key: forged)
        #expect(revoked.code == .notFound && revoked.licenseID == nil)
        f.clock.advance(by: 31 * 86_400)
        #expect(try await f.service.validateLicenseKey(as: admin, key: forged).code == .notFound)
        #expect(try await f.service.validateLicenseKey(as: admin, key: generated.key).code == .revoked)
    }
}
