import Foundation
import Synchronization
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

extension RegressionTests {
    /// A store clock that, once armed, pauses the n-th read after taking the time, so that the
    /// caller goes on with a time read *before* whatever happens during the pause.
    final class PausingClock: Sendable {
        private let clock: TestClock
        private let state = Mutex<(countdown: Int?, paused: Bool)>((nil, false))
        private let pause: useconds_t = 200_000

        init(_ clock: TestClock) { self.clock = clock }

        /// Pauses the `call`-th read from now (1 = the next one).
        func arm(pausingCall call: Int) { state.withLock { $0 = (call, false) } }

        /// Whether the armed read has started its pause.
        var hasPaused: Bool { state.withLock { $0.paused } }

        var now: @Sendable () -> Date {
            { [self] in
                let date = clock.date
                let pausing = state.withLock { state -> Bool in
                    guard let countdown = state.countdown else { return false }
                    state.countdown = countdown > 1 ? countdown - 1 : nil
                    if countdown == 1 { state.paused = true }
                    return countdown == 1
                }
                if pausing { usleep(pause) }
                return date
            }
        }
    }

    /// (b), the timestamps: `Store` promises that times are "taken from the store's clock inside the
    /// atomic step", so usage rows and revocations are ordered in time as they were in fact. A
    /// validation whose usage step reads the time, and then loses the race to a revocation, must
    /// not be recorded REVOKED at a time before the revocation (nor VALID after it).
    @Test(arguments: StoreBackend.allCases)
    func usageTimeIsTakenInsideTheAtomicStep(_ backend: StoreBackend) async throws {
        let clock = TestClock()
        let storeClock = PausingClock(clock)
        let handle = try await backend.makeStore(clock: storeClock.now)
        let service = LicenseService(store: handle.store, signer: ServiceFixture.signer, clock: clock.now)
        let admin = Principal(agentID: try await handle.store.createAgent(NewAgent(name: "admin", namespace: "default", role: "admin")).id)
        let viewer = Principal(agentID: try await handle.store.createAgent(NewAgent(name: "viewer", namespace: "default")).id)
        let generated = try await service.generateLicenseKey(as: admin, tier: .pro)

        // The validation reads the store clock once, in the one step that checks the permission,
        // decides and writes the usage row.
        storeClock.arm(pausingCall: 1)
        let validation = Task { try await service.validateLicenseKey(as: viewer, key: generated.key) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !storeClock.hasPaused {
            try #require(ContinuousClock.now < deadline, "the validation never read the store clock")
            try await Task.sleep(for: .milliseconds(1))
        }
        clock.advance(by: 1)
        let revocation = try await service.revokeLicenseKey(as: admin, id: generated.license.id)
        let result = try await validation.value

        #expect(result.code == .valid || result.code == .revoked)
        if result.valid {
            #expect(result.validatedAt <= revocation.revokedAt)
        } else {
            #expect(result.validatedAt >= revocation.revokedAt, "recorded REVOKED at a time before the revocation")
        }
        let rows = try await handle.store.usageHistory(licenseID: generated.license.id, page: PageRequest(limit: 10)).items
        #expect(rows.count == 1)
        #expect(rows.allSatisfy { $0.valid ? $0.validatedAt <= revocation.revokedAt : $0.validatedAt >= revocation.revokedAt })
    }
}
