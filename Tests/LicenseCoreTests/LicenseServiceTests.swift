import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Generation and validation round trips, and the bounds on what a caller may ask for.
@Suite struct LicenseServiceTests {
    /// Every tier, perpetual and dated at both ends of the range: the key parses, names the stored
    /// license, is signed for its expiry, and validates.
    @Test(arguments: StoreBackend.allCases, LicenseTier.allCases)
    func generateThenValidate(_ backend: StoreBackend, _ tier: LicenseTier) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor, namespace: "acme")
        for days in [nil, 30, 3650] as [Int?] {
            let generated = try await f.generate(by: editor, tier: tier, days: days)
            let license = generated.license
            let key = try #require(LicenseKey(parsing: generated.key))
            #expect(key.tier == tier)
            #expect(key.id == license.id)
            #expect(key.text == generated.key)
            #expect(license.keyHash == LicenseSigner.hash(generated.key))
            #expect(license.ownerID == editor.agentID)
            #expect(license.namespace == "acme")
            #expect(license.tier == tier.rawValue)
            #expect(license.issuedAt == f.clock.date)
            #expect(license.expiresAt == days.map { f.clock.date + Double($0) * 86_400 })
            #expect(license.isActive && license.revokedAt == nil && license.validationCount == 0)
            #expect(ServiceFixture.signer.verify(key, expiresAt: license.expiresAt))
            #expect(try await f.license(license.id) == license)

            let events = try await f.auditEvents("license_generated").filter { $0.details["license_id"] == license.id.lower }
            #expect(events.count == 1)
            #expect(events.first?.userID == editor.agentID)
            #expect(events.first?.details["tier"] == tier.rawValue)

            // The key is shown once and never appears in a description.
            let checksum = String(generated.key.suffix(16))
            for text in ["\(generated)", String(reflecting: generated), "\(key)"] {
                #expect(!text.contains(generated.key))
                #expect(!text.contains(checksum))
            }

            let result = try await f.service.validateLicenseKey(as: editor, key: generated.key, featureAccessed: "export")
            #expect(result.valid)
            #expect(result.code == .valid)
            #expect(result.tier == tier)
            #expect(result.licenseID == license.id)
            #expect(result.expiresAt == license.expiresAt)
            #expect(result.isPerpetual == (days == nil))
            #expect(result.validatedAt == f.clock.date)
            let rows = try await f.usageRows(license.id)
            #expect(rows.count == 1)
            #expect(rows.first?.valid == true && rows.first?.failureReason == nil)
            #expect(rows.first?.featureAccessed == "export" && rows.first?.agentID == editor.agentID)
        }
    }

    /// `expires_days` outside 30…3650 is refused and nothing is written.
    @Test(arguments: StoreBackend.allCases, [29, 3651, 0, -1, Int.min, Int.max])
    func expiryOutOfBounds(_ backend: StoreBackend, _ days: Int) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        await #expect(throws: LicenseError(.invalidArgument, "")) {
            try await f.service.generateLicenseKey(as: editor, tier: .pro, expiresDays: days)
        }
        #expect(try await f.store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 10)).items.isEmpty)
        #expect(try await f.auditEvents("license_generated").isEmpty)
    }

    /// Metadata: at most 32 entries, keys 1…64 bytes, values up to 1024 bytes; the limits themselves pass.
    @Test(arguments: StoreBackend.allCases)
    func metadataBounds(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        let limits = (
            entries: ServiceLimits.metadataEntries, key: ServiceLimits.metadataKeyBytes,
            value: ServiceLimits.metadataValueBytes
        )
        let tooMany = Dictionary(uniqueKeysWithValues: (0...limits.entries).map { ("k\($0)", "v") })
        let refused: [[String: String]] = [
            tooMany,
            [String(repeating: "k", count: limits.key + 1): "v"],
            ["k": String(repeating: "v", count: limits.value + 1)],
            ["": "v"],
            ["k": String(repeating: "é", count: limits.value / 2 + 1)],  // the bound is in bytes, not characters
        ]
        for metadata in refused {
            await #expect(throws: LicenseError(.invalidArgument, "")) {
                try await f.service.generateLicenseKey(as: editor, tier: .pro, metadata: metadata)
            }
        }
        #expect(try await f.store.licenses(matching: LicenseFilter(), page: PageRequest(limit: 10)).items.isEmpty)

        let largest = Dictionary(
            uniqueKeysWithValues: (0..<limits.entries).map {
                (String(format: "%02d", $0) + String(repeating: "k", count: limits.key - 2), String(repeating: "v", count: limits.value))
            })
        let generated = try await f.service.generateLicenseKey(as: editor, tier: .pro, metadata: largest)
        #expect(generated.license.metadata == largest)
        #expect(try await f.license(generated.license.id)?.metadata == largest)
        let info = try await f.service.licenseInfo(as: editor, id: generated.license.id)
        #expect(info.license.metadata == largest)
    }

    /// Feature and reason lengths are bounded too.
    @Test(arguments: StoreBackend.allCases)
    func featureAndReasonBounds(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let admin = try await f.agent("admin", role: .admin)
        let generated = try await f.generate(by: admin)
        let before = try await f.usageCounts()
        await #expect(throws: LicenseError(.invalidArgument, "")) {
            try await f.service.validateLicenseKey(
                as: admin, key: generated.key, featureAccessed: String(repeating: "f", count: ServiceLimits.featureBytes + 1))
        }
        #expect(try await f.usageCounts() == before)
        await #expect(throws: LicenseError(.invalidArgument, "")) {
            try await f.service.revokeLicenseKey(
                as: admin, id: generated.license.id, reason: String(repeating: "r", count: ServiceLimits.reasonBytes + 1))
        }
        #expect(try await f.license(generated.license.id)?.revokedAt == nil)
        let feature = String(repeating: "f", count: ServiceLimits.featureBytes)
        #expect(try await f.service.validateLicenseKey(as: admin, key: generated.key, featureAccessed: feature).valid)
    }

    /// Two licenses never share an id or a key, and each key names only its own license.
    @Test(arguments: StoreBackend.allCases)
    func keysAreDistinct(_ backend: StoreBackend) async throws {
        let f = try await ServiceFixture(backend)
        let editor = try await f.agent("editor", role: .editor)
        var keys: Set<String> = []
        var ids: Set<UUID> = []
        for _ in 0..<20 {
            let generated = try await f.generate(by: editor, tier: .enterprise, days: nil)
            keys.insert(generated.key)
            ids.insert(generated.license.id)
            #expect(generated.license.id.uuidString.lowercased().dropFirst(14).first == "4")  // version 4
        }
        #expect(keys.count == 20 && ids.count == 20)
    }
}
