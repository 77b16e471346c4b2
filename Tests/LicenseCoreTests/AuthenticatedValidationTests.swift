import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// `validateLicenseKey(apiKey:authenticator:key:featureAccessed:)` — authentication and validation
/// in one storage step — answers and writes exactly what `authenticate` followed by
/// `validateLicenseKey(as:…)` does, on every backend.
@Suite struct AuthenticatedValidationTests {
    struct Setup {
        let f: ServiceFixture
        let authenticator: APIKeyAuthenticator
        let viewer: Principal
        let viewerKey: String
        let key: String
        let licenseID: UUID

        init(_ backend: StoreBackend, injectingFaults: Bool = false) async throws {
            f = try await ServiceFixture(backend, injectingFaults: injectingFaults)
            authenticator = APIKeyAuthenticator(store: f.faults ?? f.store, clock: f.clock.now)
            let editor = try await f.agent("editor", role: .editor)
            viewer = try await f.agent("viewer", role: .viewer)
            viewerKey = try await APIKeyAuthenticator(store: f.store).issueKey(for: viewer.agentID).key
            let generated = try await f.generate(by: editor)
            key = generated.key
            licenseID = generated.license.id
        }

        /// Rows a call may write: permission checks, usage rows.
        func rows() async throws -> (checks: Int, usage: Int) {
            (try await f.auditEvents("permission_check").count, try await f.usageCounts().total)
        }

        func combined(apiKey: String? = nil, key: String? = nil, feature: String? = "export") async -> Result<ValidationResult, LicenseError> {
            do {
                let (principal, result) = try await f.service.validateLicenseKey(
                    apiKey: apiKey ?? viewerKey, authenticator: authenticator, key: key ?? self.key, featureAccessed: feature)
                #expect(principal.agentID == viewer.agentID)
                return .success(result)
            } catch {
                return .failure(error)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aValidKeyIsValidatedOnceWithItsAuditRow(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let before = try await s.rows()
        let result = try await s.combined().get()
        #expect(result.valid && result.code == .valid && result.licenseID == s.licenseID)
        let after = try await s.rows()
        #expect(after.checks == before.checks + 1 && after.usage == before.usage + 1)
        let check = try #require(try await s.f.auditEvents("permission_check").first)
        #expect(check.userID == s.viewer.agentID)
        #expect(check.details["operation"] == "license:validate" && check.details["result"] == "ALLOW")
        #expect(try await s.f.usageRows(s.licenseID).first?.agentID == s.viewer.agentID)
        #expect(try await s.f.license(s.licenseID)?.validationCount == 1)
        // The key's use is noted, as authenticate() notes it.
        #expect(try await s.f.store.apiKeys(agentID: s.viewer.agentID).first?.lastUsedAt != nil)

        // The same verdicts as the two-step path for a tampered and a revoked license.
        let tampered = Forgery.changingLastHexDigit(of: s.key)
        #expect(tampered != s.key)
        #expect(try await s.combined(key: tampered).get().code == .notFound)
        let admin = try await s.f.agent("admin", role: .admin)
        _ = try await s.f.service.revokeLicenseKey(as: admin, id: s.licenseID)
        #expect(try await s.combined().get().code == .revoked)
    }

    /// Spaces, tabs and line breaks around a key are not part of it, on both validation paths
    /// (#15, item 8: `tmwsctl` used to trim while MCP answered MALFORMED); inside the key they are.
    @Test(arguments: StoreBackend.allCases)
    func surroundingWhitespaceIsIgnoredOnBothPaths(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        for padded in [" \(s.key)", "\(s.key)\n", "\t\(s.key)\r\n", "  \(s.key)  "] {
            #expect(padded != s.key)
            #expect(try await s.combined(key: padded).get().code == .valid)
            #expect(try await s.f.service.validateLicenseKey(as: s.viewer, key: padded).code == .valid)
        }
        #expect(try await s.f.usageRows(s.licenseID).count == 8)
        let inside = s.key.replacingOccurrences(of: "-", with: " -", options: [], range: s.key.range(of: "-"))
        #expect(inside != s.key)
        #expect(try await s.combined(key: inside).get().code == .malformed)
        #expect(try await s.combined(key: " \u{A0}\(s.key)").get().code == .malformed, "only ASCII space, tab, CR and LF are trimmed")
    }

    @Test(arguments: StoreBackend.allCases)
    func callersWhoDoNotAuthenticateWriteNothing(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let suspended = try await s.f.agent("suspended", role: .viewer)
        let suspendedKey = try await s.authenticator.issueKey(for: suspended.agentID).key
        _ = try await s.f.store.updateAgent(id: suspended.agentID, AgentChange(status: .suspended))
        let revokedAgent = try await s.f.agent("revoked", role: .viewer)
        let revokedKey = try await s.authenticator.issueKey(for: revokedAgent.agentID)
        _ = try await s.f.store.revokeAPIKey(id: revokedKey.record.id)
        let unknown = "tmws_ak_" + String(repeating: "A", count: 43)
        let before = try await s.rows()
        for apiKey in ["", "not-a-key", unknown, suspendedKey, revokedKey.key] {
            // Also with a feature the two-step path would refuse: authentication is reported first.
            for feature in ["export", "bad\u{0}feature"] {
                guard case .failure(let error) = await s.combined(apiKey: apiKey, feature: feature) else {
                    Issue.record("\(apiKey.prefix(12)) authenticated")
                    continue
                }
                #expect(error.code == .unauthenticated)
            }
        }
        #expect(try await s.rows() == before)
    }

    @Test(arguments: StoreBackend.allCases)
    func aBadFeatureFromAnAuthenticatedCallerIsAnArgumentError(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend)
        let before = try await s.rows()
        for feature in ["bad\u{0}feature", String(repeating: "f", count: ServiceLimits.featureBytes + 1)] {
            guard case .failure(let error) = await s.combined(feature: feature) else {
                Issue.record("accepted")
                continue
            }
            #expect(error.code == .invalidArgument)
        }
        #expect(try await s.rows() == before)
    }

    @Test(arguments: [StoreBackend.memory, .sqliteFile])
    func storageFailuresFailClosedAsTheTwoStepPathDoes(_ backend: StoreBackend) async throws {
        let s = try await Setup(backend, injectingFaults: true)
        let faults = try #require(s.f.faults)
        let before = try await s.rows()
        // The key cannot even be resolved: UNAVAILABLE, nothing written.
        faults.fail([.resolveAPIKey])
        guard case .failure(let unresolved) = await s.combined() else { throw ExpectationFailedError() }
        #expect(unresolved.code == .unavailable)
        #expect(try await s.rows() == before)
        // The key resolves, the validation cannot be recorded: UNAVAILABLE and one DENY row.
        faults.heal()
        faults.fail([.recordValidation])
        guard case .failure(let unrecorded) = await s.combined() else { throw ExpectationFailedError() }
        #expect(unrecorded.code == .unavailable)
        let deny = try #require(try await s.f.auditEvents("permission_check").first)
        #expect(deny.details["result"] == "DENY" && deny.details["reason"] == "storage_unavailable")
        #expect(deny.userID == s.viewer.agentID)
        #expect(try await s.f.usageCounts().total == before.usage)
        faults.heal()
        #expect(try await s.combined().get().valid)
    }

    struct ExpectationFailedError: Error {}
}
