import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// Many independent trials of one validation racing one revocation: no VALID verdict is dated
/// after the revocation, and once `revoke` has returned no validation succeeds.
@Suite struct RevocationRaceTrialsTests {
    /// 10,000 trials in memory, 1,000 on a SQLite file and (when configured) 1,000 on PostgreSQL.
    static let trials: [(StoreBackend, Int)] =
        [(.memory, 10_000), (.sqliteFile, 1_000)] + (StoreBackend.allCases.contains(.postgres) ? [(.postgres, 1_000)] : [])

    @Test(arguments: trials)
    func validateRacingRevoke(_ backend: StoreBackend, _ trials: Int) async throws {
        let handle = try await backend.makeStore()
        let store = handle.store
        let service = LicenseService(store: store, signer: ServiceFixture.signer)
        let admin = Principal(agentID: try await store.createAgent(NewAgent(name: "admin", namespace: "ns", role: "admin")).id)
        let viewer = Principal(agentID: try await store.createAgent(NewAgent(name: "viewer", namespace: "ns")).id)
        var validBeforeRevoke = 0
        var refused = 0
        for _ in 0..<trials {
            let generated = try await service.generateLicenseKey(as: admin, tier: .pro)
            async let validation = service.validateLicenseKey(as: viewer, key: generated.key)
            async let revocation = service.revokeLicenseKey(as: admin, id: generated.license.id)
            let (verdict, revoked) = try await (validation, revocation)
            if verdict.valid {
                #expect(verdict.validatedAt <= revoked.revokedAt)
                validBeforeRevoke += 1
            } else {
                #expect(verdict.code == .revoked)
                refused += 1
            }
            let after = try await service.validateLicenseKey(as: viewer, key: generated.key)
            #expect(after.code == .revoked)
            if after.valid { break }
        }
        #expect(validBeforeRevoke + refused == trials)
    }
}
