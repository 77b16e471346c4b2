import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport

/// One ``LicenseService`` on one backend. The store and the service share one ``TestClock``, so
/// time stands still until a test moves it.
struct ServiceFixture {
    static let secret = try! SigningSecret(Array("tmws-test-vector-secret-0123456789abcdef".utf8))
    static let signer = LicenseSigner(secret: secret)
    /// Another deployment's secret: its keys must never validate here.
    static let otherSigner = LicenseSigner(secret: try! SigningSecret(Array("another-deployment-secret-0123456789abcdef".utf8)))

    let clock: TestClock
    let handle: TemporaryStore
    /// The wrapper the service talks to, when faults are injected.
    let faults: InterceptingStore?
    let service: LicenseService
    let agents: AgentAdministration
    let audit: AuditService

    /// The backend's own store (never faulty): for setting up and for checking what was written.
    var store: any Store { handle.store }

    /// - Parameters:
    ///   - injectingFaults: the service talks to a ``InterceptingStore`` (see ``faults``).
    ///   - slowed: the service's store pauses after license reads and before validation steps
    ///     (``pausing(_:pause:tick:)``), which widens race windows.
    init(_ backend: StoreBackend, injectingFaults: Bool = false, slowed: Bool = false) async throws {
        let clock = TestClock()
        self.clock = clock
        handle = try await backend.makeStore(clock: clock.now)
        let faults = injectingFaults ? InterceptingStore(handle.store) : nil
        self.faults = faults
        var serviceStore: any Store = handle.store
        if let faults { serviceStore = faults }
        if slowed { serviceStore = Self.pausing(serviceStore, tick: { clock.advance(by: 0.001) }) }
        let context = ServiceContext(store: serviceStore, clock: clock.now)
        service = LicenseService(context: context, signer: Self.signer)
        agents = AgentAdministration(context: context)
        audit = AuditService(context: context)
    }

    /// A store that pauses around license reads and before validation steps, so that a validation
    /// which decided on state read outside its recording step (the Python original's defect) gives a
    /// concurrent revocation a wide window to slip in — and the race tests catch it every time
    /// instead of now and then. A correct implementation decides inside the step, where the pauses
    /// cannot reach. `tick` runs after each pause, e.g. to move a test clock on, so that a stale
    /// decision recorded after a revocation carries a later time than the revocation.
    static func pausing(_ base: any Store, pause: Duration = .microseconds(300), tick: @escaping @Sendable () -> Void) -> InterceptingStore {
        InterceptingStore(base) { operation, moment in
            switch (operation, moment) {
            case (.license, .after), (.recordValidation, .before), (.recordAuthenticatedValidation, .before):
                try? await Task.sleep(for: pause)
                tick()
            default:
                break
            }
        }
    }

    /// Creates an agent and returns its principal.
    @discardableResult
    func agent(_ name: String, role: Role, namespace: String = "default") async throws -> Principal {
        let agent = try await store.createAgent(NewAgent(name: name, namespace: namespace, role: role.rawValue))
        return Principal(agentID: agent.id)
    }

    /// Generates a license through the service.
    func generate(by principal: Principal, tier: LicenseTier = .pro, days: Int? = 30) async throws -> GeneratedLicense {
        try await service.generateLicenseKey(as: principal, tier: tier, expiresDays: days)
    }

    /// Every usage row of a license, newest first, read straight from the store.
    func usageRows(_ licenseID: UUID) async throws -> [UsageRecord] {
        try await store.allUsageHistory(licenseID: licenseID)
    }

    /// Counts of every usage row, those without a license included.
    func usageCounts() async throws -> UsageCounts {
        try await store.usageCounts(since: Date(timeIntervalSince1970: 0), until: nil)
    }

    /// Audit events of one type, newest first.
    func auditEvents(_ eventType: AuditEventType) async throws -> [AuditEvent] {
        try await store.auditEvents(matching: AuditFilter(eventType: eventType), page: PageRequest(limit: 1000)).items
    }

    /// The stored license.
    func license(_ id: UUID) async throws -> License? {
        try await store.license(id: id)
    }

    /// The agent as stored.
    func storedAgent(_ principal: Principal) async throws -> Agent? {
        try await store.agent(id: principal.agentID)
    }
}

extension UUID {
    /// The canonical lowercase text, as keys and audit details write it.
    var lower: String { uuidString.lowercased() }
}
