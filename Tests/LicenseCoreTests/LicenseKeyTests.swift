import Foundation
import TMWSLicenseCore
import Testing

@Suite struct LicenseKeyTests {
    static let secret = try! SigningSecret(Array("tmws-test-vector-secret-0123456789abcdef".utf8))
    static let signer = LicenseSigner(secret: secret)
    static let id = UUID(uuidString: "550e8400-e29b-41d4-a716-446655440000")!

    /// DESIGN.md's test vectors, bit for bit.
    @Test(arguments: [
        (LicenseTier.pro, Optional(1_767_225_600.0), "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62ab"),
        (.enterprise, nil, "TMWS-ENTERPRISE-550e8400-e29b-41d4-a716-446655440000-d45fd51355e04d04"),
        (.free, 1_798_761_600.0, "TMWS-FREE-550e8400-e29b-41d4-a716-446655440000-e29bfaf9ba816f90"),
    ])
    func testVectors(_ tier: LicenseTier, _ expiry: Double?, _ expected: String) throws {
        let expiresAt = expiry.map { Date(timeIntervalSince1970: $0) }
        let key = Self.signer.key(tier: tier, id: Self.id, expiresAt: expiresAt)
        #expect(key.text == expected)
        let parsed = try #require(LicenseKey(parsing: expected))
        #expect(parsed == key)
        #expect(Self.signer.verify(parsed, expiresAt: expiresAt))
        #expect(!Self.signer.verify(parsed, expiresAt: expiresAt.map { $0 + 1 } ?? Date(timeIntervalSince1970: 0)))
    }

    /// Expiries no caller should pass, but that a public API must not trap on (found by the fuzzer's review).
    @Test(arguments: [1e300, -1e300, 9.3e18, -9.3e18, Double.infinity, -Double.infinity])
    func absurdExpiriesDoNotTrap(_ seconds: Double) {
        let expiry = Date(timeIntervalSince1970: seconds)
        let key = Self.signer.key(tier: .pro, id: Self.id, expiresAt: expiry)
        #expect(Self.signer.verify(key, expiresAt: expiry))
        #expect(!Self.signer.verify(key, expiresAt: nil))
    }

    @Test func hashVector() {
        #expect(
            LicenseSigner.hash("TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62ab")
                == "f58946ce15390912a82a5b22c8e13ab9476eb2985f67e83a642e1abdf7505371")
    }

    @Test func expiryUsesWholeSeconds() {
        let whole = Date(timeIntervalSince1970: 1_767_225_600)
        #expect(Self.signer.checksum(tier: .pro, id: Self.id, expiresAt: whole + 0.999) == Self.signer.checksum(tier: .pro, id: Self.id, expiresAt: whole))
    }

    static let valid = "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62ab"

    @Test(arguments: [
        "",
        "TMWS-PRO-550E8400-E29B-41D4-A716-446655440000-9e58f5f6872a62ab",  // uppercase UUID
        "TMWS-PRO-{550e8400-e29b-41d4-a716-446655440000}-9e58f5f6872a62ab",  // braced
        "TMWS-PRO-550e8400e29b41d4a716446655440000-9e58f5f6872a62ab",  // no hyphens
        "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9E58F5F6872A62AB",  // uppercase checksum
        "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62a",  // short checksum
        "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62abc",  // long checksum
        "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62éb",  // non-ASCII checksum
        "TMWS-PRO-550e8400-e29b-41d4-a716-4466554400０0-9e58f5f6872a62ab",  // fullwidth digit
        "TMWS-pro-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62ab",  // lowercase tier
        "TMWS-GOLD-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a6",
        "tmws-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62ab",
        "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000_9e58f5f6872a62ab",
        " TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62a",
        "TMWS-PRO-550e8400-e29b-41d4-a716-44665544000g-9e58f5f6872a62ab",
        "TMWS-PRO-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62\u{0}b",
        "TMWS-ENTERPRISE-550e8400-e29b-41d4-a716-446655440000-9e58f5f6872a62ab\n",
    ])
    func malformedKeysDoNotParse(_ text: String) {
        #expect(LicenseKey(parsing: text) == nil)
    }

    @Test(arguments: [
        (" \(valid)", valid), ("\(valid)\n", valid), ("\t\(valid)\r\n", valid), (valid, valid), ("", ""), (" \n\t ", ""),
        ("a b", "a b"), ("\u{A0}x", "\u{A0}x"),
    ])
    func presentedKeysLoseOnlyTheWhitespaceAroundThem(_ text: String, _ expected: String) {
        #expect(LicenseKey.presented(text) == expected)
    }

    @Test func hugeInputIsRejectedByLength() {
        let huge = String(repeating: Self.valid, count: 1_000_000 / Self.valid.count + 1)
        #expect(huge.utf8.count > 1_000_000)
        #expect(LicenseKey(parsing: huge) == nil)
        #expect(LicenseKey(parsing: String(repeating: "é", count: 40)) == nil)
        #expect(LicenseKey(parsing: String(repeating: "🔑", count: 16)) == nil)
    }

    @Test func descriptionDoesNotRevealTheChecksum() throws {
        let key = try #require(LicenseKey(parsing: Self.valid))
        #expect(!key.description.contains("9e58f5f6872a62ab"))
        #expect(!String(reflecting: Self.secret).contains("tmws-test-vector"))
        #expect(!"\(Self.secret)".contains("tmws-test-vector"))
    }

    @Test func secretLoading() throws {
        #expect(try SigningSecret.fromEnvironment([:]) == nil)
        #expect(try SigningSecret.fromEnvironment(["TMWS_SECRET_KEY": String(repeating: "s", count: 32)]) != nil)
        #expect(throws: ConfigurationError.self) { try SigningSecret.fromEnvironment(["TMWS_SECRET_KEY": "short-secret-value"]) }
        do {
            _ = try SigningSecret.fromEnvironment(["TMWS_SECRET_KEY": "short-but-sensitive"])
        } catch {
            #expect(!error.description.contains("short-but-sensitive"))
        }
        let directory = FileManager.default.temporaryDirectory.path + "/tmws-secret-\(UUID())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/secret"
        let created = try SigningSecret.createFile(at: path, randomBytes: Array(repeating: 7, count: 48))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let loaded = try #require(try SigningSecret.fromEnvironment(["TMWS_SECRET_KEY_FILE": path]))
        let a = LicenseSigner(secret: created).key(tier: .pro, id: Self.id, expiresAt: nil)
        let b = LicenseSigner(secret: loaded).key(tier: .pro, id: Self.id, expiresAt: nil)
        #expect(a == b)
        #expect(throws: ConfigurationError.self) { try SigningSecret.createFile(at: path, randomBytes: Array(repeating: 1, count: 48)) }
        #expect(throws: ConfigurationError.self) { try SigningSecret.fromEnvironment(["TMWS_SECRET_KEY_FILE": directory + "/missing"]) }
        #expect(throws: ConfigurationError.self) {
            try SigningSecret.fromEnvironment(["TMWS_SECRET_KEY_FILE": path, "TMWS_SECRET_KEY": String(repeating: "s", count: 40)])
        }
    }
}
