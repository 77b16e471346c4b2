import Foundation
import TMWS

/// A deployment prepared once per process and shared by the benchmarks that need it.
struct Fixture: Sendable {
    let store: any Store
    let service: LicenseService
    let authenticator: APIKeyAuthenticator
    let admin: Principal
    let viewer: Principal
    let viewerKey: String
    let key: String
    let licenseID: UUID
    let directory: String?

    static let secret = try! SigningSecret(Array(String(repeating: "b", count: 40).utf8))

    static func make(sqliteFile: Bool) async throws -> Fixture {
        var directory: String?
        let store: any Store
        if sqliteFile {
            let path = NSTemporaryDirectory() + "tmws-bench-\(UUID().uuidString)"
            directory = path
            store = try await SQLiteStore.open(path: path + "/tmws.db", migrate: true)
        } else {
            store = MemoryStore()
        }
        let service = LicenseService(store: store, signer: LicenseSigner(secret: secret))
        let admin = try await store.createAgent(NewAgent(name: "admin", namespace: "bench", role: "admin"))
        let viewer = try await store.createAgent(NewAgent(name: "viewer", namespace: "bench", role: "viewer"))
        let authenticator = APIKeyAuthenticator(store: store)
        let viewerKey = try await authenticator.issueKey(for: viewer.id).key
        let generated = try await service.generateLicenseKey(as: Principal(agentID: admin.id), tier: .pro, expiresDays: 365)
        return Fixture(
            store: store, service: service, authenticator: authenticator, admin: Principal(agentID: admin.id),
            viewer: Principal(agentID: viewer.id), viewerKey: viewerKey, key: generated.key, licenseID: generated.license.id,
            directory: directory)
    }

    /// One full validation as the MCP tool performs it: authenticate the API key and validate
    /// (permission check with its audit row, verdict, usage row) in one storage step.
    func validateOnce() async throws -> Bool {
        try await service.validateLicenseKey(apiKey: viewerKey, authenticator: authenticator, key: key, featureAccessed: "bench").result.valid
    }

    /// The same, as two storage steps: `authenticate`, then `validateLicenseKey(as:…)`.
    func validateInTwoSteps() async throws -> Bool {
        let principal = try await authenticator.authenticate(viewerKey)
        return try await service.validateLicenseKey(as: principal, key: key, featureAccessed: "bench").valid
    }
}

/// Fixtures built once, on first use.
actor Fixtures {
    static let shared = Fixtures()
    private var cache: [String: Fixture] = [:]

    func get(_ name: String, _ make: @Sendable () async throws -> Fixture) async throws -> Fixture {
        if let fixture = cache[name] { return fixture }
        let fixture = try await make()
        cache[name] = fixture
        return fixture
    }

    func sqlite() async throws -> Fixture { try await get("sqlite") { try await Fixture.make(sqliteFile: true) } }
    func memory() async throws -> Fixture { try await get("memory") { try await Fixture.make(sqliteFile: false) } }

    /// A SQLite fixture whose license has 100,000 usage rows (for the deep page).
    func deepHistory() async throws -> Fixture {
        try await get("deep") {
            let fixture = try await Fixture.make(sqliteFile: true)
            for _ in 0..<100_000 {
                _ = try await fixture.store.recordValidation(
                    licenseID: fixture.licenseID, agentID: fixture.viewer.agentID, featureAccessed: nil) { _, _ in .valid }
            }
            return fixture
        }
    }
}
