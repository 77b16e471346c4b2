import Foundation
import TMWSLicenseCore
import TMWSLicenseVerifier
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Offline license tokens end to end, on every backend: checkout validates as validation does and
/// signs only VALID keys; the tokens verify with the published key set alone; rotation, retirement
/// and removal behave as documented; private keys are sealed.
@Suite struct CheckoutTests {
    struct Setup {
        let f: ServiceFixture
        let keys: SigningKeyAdministration
        let admin: Principal
        let editor: Principal
        let viewer: Principal

        init(_ backend: StoreBackend) async throws {
            f = try await ServiceFixture(backend)
            keys = SigningKeyAdministration(context: ServiceContext(store: f.store, clock: f.clock.now), secret: ServiceFixture.secret)
            admin = try await f.agent("admin", role: .admin, namespace: "acme")
            editor = try await f.agent("editor", role: .editor, namespace: "acme")
            viewer = try await f.agent("viewer", role: .viewer, namespace: "acme")
        }

        func verifier() async throws -> LicenseVerifier {
            try await LicenseVerifier(keySet: try await keys.publicKeySet(), issuer: "tmws")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aValidKeyIsCheckedOutAsAVerifiableToken(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let generated = try await s.f.generate(by: s.editor, days: 30)
        #expect(try await s.keys.publicKeySet().keys.isEmpty, "no key before the first checkout")

        let checkout = try await s.f.service.checkoutLicense(as: s.viewer, key: generated.key, audience: "desktop", fingerprint: "m-1")
        #expect(checkout.validation.code == .valid)
        let token = try #require(checkout.token)
        #expect(!"\(checkout)".contains(token), "the description never shows the token")
        // Default lifetime: 7 days.
        #expect(checkout.expiresAt == Date(timeIntervalSince1970: (s.f.clock.date.timeIntervalSince1970 + 7 * 86_400).rounded(.down)))

        // One usage row, recorded as a validation with feature "checkout".
        let rows = try await s.f.usageRows(generated.license.id)
        #expect(rows.count == 1 && rows[0].valid && rows[0].featureAccessed == "checkout" && rows[0].agentID == s.viewer.agentID)
        // The first key was created on the way, audited.
        let created = try await s.f.auditEvents(.signingKeyCreated)
        #expect(created.count == 1 && created[0].details["kid"] == checkout.keyID && created[0].details["reason"] == "first checkout")

        let verified = (try await s.verifier()).verify(token, now: s.f.clock.date, audience: "desktop", fingerprint: "m-1")
        #expect(verified.code == .valid)
        let license = try #require(verified.license)
        #expect(license.licenseID == generated.license.id && license.tier == "PRO" && license.namespace == "acme")
        #expect(license.licenseExpiresAt == generated.license.expiresAt && license.keyID == checkout.keyID)
        #expect(license.fingerprint == "m-1" && license.audience == "desktop")
    }

    @Test(arguments: StoreBackend.allCases)
    func onlyAValidKeyGetsAToken(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let generated = try await s.f.generate(by: s.editor, days: 30)
        let expiring = try await s.f.generate(by: s.editor, days: 30)
        _ = try await s.f.service.revokeLicenseKey(as: s.admin, id: generated.license.id)
        for (key, code) in [
            (generated.key, VerdictCode.revoked), ("TMWS-PRO-nonsense", .malformed), (Forgery.changingLastHexDigit(of: expiring.key), .notFound),
        ] {
            let checkout = try await s.f.service.checkoutLicense(as: s.viewer, key: key)
            #expect(checkout.validation.code == code && checkout.token == nil && checkout.keyID == nil && checkout.expiresAt == nil)
        }
        s.f.clock.advance(by: 31 * 86_400)
        #expect(try await s.f.service.checkoutLicense(as: s.viewer, key: expiring.key).validation.code == .expired)
        #expect(try await s.f.usageRows(generated.license.id).map(\.featureAccessed) == ["checkout"])
    }

    @Test(arguments: StoreBackend.allCases)
    func lifetimesAreBoundedAndNeverOutliveTheLicense(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let short = try await s.f.generate(by: s.editor, days: 30)
        let perpetual = try await s.f.generate(by: s.editor, days: nil)
        let now = s.f.clock.date.timeIntervalSince1970.rounded(.down)
        // 90 days asked for a 30-day license: the token ends with the license.
        let capped = try await s.f.service.checkoutLicense(as: s.viewer, key: short.key, ttl: 90 * 86_400)
        #expect(capped.expiresAt == short.license.expiresAt)
        let hour = try await s.f.service.checkoutLicense(as: s.viewer, key: perpetual.key, ttl: 3600)
        #expect(hour.expiresAt == Date(timeIntervalSince1970: now + 3600))
        let token = try #require(hour.token)
        #expect((try await s.verifier()).verify(token, now: s.f.clock.date).license?.licenseExpiresAt == nil)
        // Out of bounds: refused before anything is recorded.
        let before = try await s.f.usageCounts().total
        for (ttl, audience, fingerprint) in [
            (3599.0, nil, nil), (90 * 86_400 + 1, nil, nil), (3600, "", nil), (3600, String(repeating: "a", count: 257), nil),
            (3600, nil, "tab\there"), (3600, nil, "é"),
        ] as [(TimeInterval, String?, String?)] {
            let error = await #expect(throws: LicenseError.self) {
                _ = try await s.f.service.checkoutLicense(as: s.viewer, key: perpetual.key, ttl: ttl, audience: audience, fingerprint: fingerprint)
            }
            #expect(error?.code == .invalidArgument)
        }
        #expect(try await s.f.usageCounts().total == before)
    }

    /// Rotation: tokens signed before it keep verifying until their key is removed, then are
    /// UNKNOWN_KEY; retiring the active key stops checkouts (writing nothing) until the next rotation.
    @Test(arguments: StoreBackend.allCases)
    func rotationRetirementAndRemoval(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let generated = try await s.f.generate(by: s.editor, days: nil)
        let first = try await s.keys.create(as: s.admin)
        let refused = await #expect(throws: LicenseError.self) { _ = try await s.keys.create(as: s.admin) }
        #expect(refused?.code == .invalidArgument)
        let old = try #require(try await s.f.service.checkoutLicense(as: s.viewer, key: generated.key).token)

        let (second, retired) = try await s.keys.rotate(as: s.admin)
        #expect(retired?.kid == first.kid && retired?.status == .retired && second.status == .active && second.kid != first.kid)
        let new = try await s.f.service.checkoutLicense(as: s.viewer, key: generated.key)
        #expect(new.keyID == second.kid)
        var verifier = try await s.verifier()
        #expect(verifier.verify(old, now: s.f.clock.date).code == .valid, "a retired key keeps verifying")
        #expect(verifier.verify(try #require(new.token), now: s.f.clock.date).code == .valid)

        let removeActive = await #expect(throws: LicenseError.self) { _ = try await s.keys.remove(as: s.admin, kid: second.kid) }
        #expect(removeActive?.code == .invalidArgument)
        #expect(try await s.keys.remove(as: s.admin, kid: first.kid).kid == first.kid)
        verifier = try await s.verifier()
        #expect(verifier.verify(old, now: s.f.clock.date).code == .unknownKey)

        // Retire the active key: checkouts stop, and record nothing, until an admin rotates.
        #expect(try await s.keys.retire(as: s.admin, kid: second.kid).status == .retired)
        #expect(try await s.keys.retire(as: s.admin, kid: second.kid).status == .retired, "idempotent")
        let before = try await s.f.usageCounts().total
        let unavailable = await #expect(throws: LicenseError.self) {
            _ = try await s.f.service.checkoutLicense(as: s.viewer, key: generated.key)
        }
        #expect(unavailable?.code == .unavailable)
        #expect(try await s.f.usageCounts().total == before)
        _ = try await s.keys.rotate(as: s.admin)
        #expect(try await s.f.service.checkoutLicense(as: s.viewer, key: generated.key).token != nil)

        let events = try await s.f.auditEvents(.signingKeyRotated) + s.f.auditEvents(.signingKeyRetired) + s.f.auditEvents(.signingKeyRemoved)
        #expect(events.count == 3 && events.allSatisfy { $0.userID == s.admin.agentID })
        let notFound = await #expect(throws: LicenseError.self) { _ = try await s.keys.retire(as: s.admin, kid: "no-such-key") }
        #expect(notFound?.code == .notFound)
    }

    @Test(arguments: StoreBackend.allCases)
    func onlyAdminsManageKeysAndPrivateKeysAreSealed(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        for principal in [s.editor, s.viewer] {
            let error = await #expect(throws: LicenseError.self) { _ = try await s.keys.rotate(as: principal) }
            #expect(error?.code == .permissionDenied)
            let listed = await #expect(throws: LicenseError.self) { _ = try await s.keys.keys(as: principal) }
            #expect(listed?.code == .permissionDenied)
        }
        let key = try await s.keys.create(as: s.admin)
        let stored = try #require(try await (s.f.store as? any SigningKeyStore)?.signingKeys().first)
        #expect(stored.kid == key.kid && stored.sealedPrivateKey.hasPrefix("v1."))
        // The sealed text is not the private key in any plain encoding, and the public key set holds only x.
        #expect(stored.sealedPrivateKey.count > 60 && !stored.sealedPrivateKey.contains(stored.publicKey))
        let set = try await s.keys.publicKeySet()
        #expect(set.keys.count == 1 && !set.json.contains("\"d\"") && !set.json.contains(stored.sealedPrivateKey))

        // A deployment with another secret cannot use the key: checkout is an internal error, not a token.
        let other = LicenseService(
            context: ServiceContext(store: s.f.store, clock: s.f.clock.now), signer: ServiceFixture.otherSigner)
        let generated = try await s.f.generate(by: s.editor)
        let error = await #expect(throws: LicenseError.self) { _ = try await other.checkoutLicense(as: s.viewer, key: generated.key) }
        #expect(error?.code == .internalError)
        #expect(try await s.f.usageRows(generated.license.id).isEmpty, "a checkout that cannot be signed records nothing")
    }

    /// The one-step form the MCP tool uses (API key, active signing key and validation in one storage
    /// step where the backend allows it) answers and writes what authenticate + checkout do.
    @Test(arguments: StoreBackend.allCases)
    func theAPIKeyFormMatchesTheTwoStepForm(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let authenticator = APIKeyAuthenticator(store: s.f.store, clock: s.f.clock.now)
        let apiKey = try await authenticator.issueKey(for: s.viewer.agentID).key
        let generated = try await s.f.generate(by: s.editor, days: 30)

        // The first checkout creates the first key, as the two-step form does.
        let (principal, first) = try await s.f.service.checkoutLicense(apiKey: apiKey, authenticator: authenticator, key: generated.key)
        #expect(principal.agentID == s.viewer.agentID && first.validation.code == .valid && first.token != nil)
        let (_, second) = try await s.f.service.checkoutLicense(
            apiKey: apiKey, authenticator: authenticator, key: " \(generated.key)\n", ttl: 3600, audience: "desktop")
        #expect(second.validation.code == .valid && second.keyID == first.keyID)
        let verified = (try await s.verifier()).verify(try #require(second.token), now: s.f.clock.date, audience: "desktop")
        #expect(verified.code == .valid && verified.license?.licenseID == generated.license.id)
        let rows = try await s.f.usageRows(generated.license.id)
        #expect(rows.count == 2 && rows.allSatisfy { $0.valid && $0.featureAccessed == "checkout" && $0.agentID == s.viewer.agentID })
        let checks = try await s.f.auditEvents("permission_check").filter { $0.userID == s.viewer.agentID }
        #expect(checks.count == 2)

        // A wrong API key, and bad bounds: refused, nothing written.
        let before = try await s.f.usageCounts().total
        let unauthenticated = await #expect(throws: LicenseError.self) {
            _ = try await s.f.service.checkoutLicense(apiKey: "tmws_ak_" + String(repeating: "A", count: 43), authenticator: authenticator, key: generated.key)
        }
        #expect(unauthenticated?.code == .unauthenticated)
        let invalid = await #expect(throws: LicenseError.self) {
            _ = try await s.f.service.checkoutLicense(apiKey: apiKey, authenticator: authenticator, key: generated.key, ttl: 60)
        }
        #expect(invalid?.code == .invalidArgument)
        // No active key (retired by an admin): unavailable, and nothing recorded.
        _ = try await s.keys.retire(as: s.admin, kid: try #require(first.keyID))
        let unavailable = await #expect(throws: LicenseError.self) {
            _ = try await s.f.service.checkoutLicense(apiKey: apiKey, authenticator: authenticator, key: generated.key)
        }
        #expect(unavailable?.code == .unavailable)
        #expect(try await s.f.usageCounts().total == before)
    }

    /// The issuer is configurable and goes into every token.
    @Test func theIssuerIsTheDeployments() async throws {
        let s = try await Setup(.memory)
        let service = LicenseService(
            context: ServiceContext(store: s.f.store, clock: s.f.clock.now), signer: ServiceFixture.signer, tokenIssuer: "licenses.example.com")
        let generated = try await s.f.generate(by: s.editor)
        let token = try #require(try await service.checkoutLicense(as: s.viewer, key: generated.key).token)
        let keySet = try await s.keys.publicKeySet()
        let ours = try await LicenseVerifier(keySet: keySet, issuer: "licenses.example.com")
        let theirs = try await LicenseVerifier(keySet: keySet)
        #expect(ours.verify(token, now: s.f.clock.date).code == .valid)
        #expect(theirs.verify(token, now: s.f.clock.date).code == .wrongIssuer)
    }
}
