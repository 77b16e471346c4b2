import Foundation
import TMWS

/// A deployment prepared once per process and shared by the benchmarks that need it.
public struct Fixture: Sendable {
    public let store: any Store
    public let service: LicenseService
    public let authenticator: APIKeyAuthenticator
    public let admin: Principal
    public let viewer: Principal
    public let viewerKey: String
    public let key: String
    public let licenseID: UUID
    public let directory: String?

    public init(
        store: any Store, service: LicenseService, authenticator: APIKeyAuthenticator, admin: Principal, viewer: Principal,
        viewerKey: String, key: String, licenseID: UUID, directory: String?
    ) {
        self.store = store
        self.service = service
        self.authenticator = authenticator
        self.admin = admin
        self.viewer = viewer
        self.viewerKey = viewerKey
        self.key = key
        self.licenseID = licenseID
        self.directory = directory
    }

    public static let secret = try! SigningSecret(Array(String(repeating: "b", count: 40).utf8))

    /// A new deployment: on a SQLite file in a new temporary directory (committing at most
    /// `groupCommitLimit` concurrent write steps together; 1 commits each alone), or in memory.
    public static func make(sqliteFile: Bool, groupCommitLimit: Int = SQLiteStore.Configuration().groupCommitLimit) async throws -> Fixture {
        var directory: String?
        let store: any Store
        if sqliteFile {
            let path = NSTemporaryDirectory() + "tmws-bench-\(UUID().uuidString)"
            directory = path
            store = try await SQLiteStore.open(
                path: path + "/tmws.db", configuration: .init(groupCommitLimit: groupCommitLimit), migrate: true)
        } else {
            store = MemoryStore()
        }
        return try await make(store: store, directory: directory)
    }

    /// A new deployment on `store` (empty, at the head revision): an admin, a viewer with an API
    /// key, and one license.
    public static func make(store: any Store, directory: String? = nil) async throws -> Fixture {
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

    /// `count` more license keys, for loads spread over many licenses.
    public func moreKeys(_ count: Int) async throws -> [String] {
        var keys: [String] = []
        for _ in 0..<count { keys.append(try await service.generateLicenseKey(as: admin, tier: .pro, expiresDays: 365).key) }
        return keys
    }

    /// One full validation as the MCP tool performs it: authenticate the API key and validate
    /// (permission check with its audit row, verdict, usage row) in one storage step.
    public func validateOnce() async throws -> Bool {
        try await validate(key: key)
    }

    /// ``validateOnce()`` for another license key.
    public func validate(key: String) async throws -> Bool {
        try await service.validateLicenseKey(apiKey: viewerKey, authenticator: authenticator, key: key, featureAccessed: "bench").result.valid
    }

    /// `count` calls of `body` shared by `tasks` concurrent tasks (their shares differ by at most one).
    public static func concurrently(
        _ count: Int, tasks: Int, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                let share = count / tasks + (task < count % tasks ? 1 : 0)
                group.addTask { for _ in 0..<share { try await body() } }
            }
            try await group.waitForAll()
        }
    }

    /// Group commit's counts, when the store is a SQLite store.
    public var groupCommitStatistics: GroupCommitStatistics? { (store as? SQLiteStore)?.groupCommitStatistics }

    /// A checkout as the MCP tool performs it: the API key, the active signing key and the
    /// validation in one storage step, then the signature.
    public func checkoutOnce() async throws -> String? {
        try await checkout(key: key)
    }

    /// ``checkoutOnce()`` for another license key.
    public func checkout(key: String) async throws -> String? {
        try await service.checkoutLicense(apiKey: viewerKey, authenticator: authenticator, key: key).checkout.token
    }

    /// The public key set of this fixture's signing keys (after a first checkout created one).
    public func publicKeySet() async throws -> PublicKeySet {
        try await SigningKeyAdministration(context: ServiceContext(store: store), secret: Self.secret).publicKeySet()
    }

    /// The same, as two storage steps: `authenticate`, then `validateLicenseKey(as:…)`.
    public func validateInTwoSteps() async throws -> Bool {
        let principal = try await authenticator.authenticate(viewerKey)
        return try await service.validateLicenseKey(as: principal, key: key, featureAccessed: "bench").valid
    }
}

/// Fixtures built once, on first use.
public actor Fixtures {
    public static let shared = Fixtures()
    private var cache: [String: Fixture] = [:]

    public func get(_ name: String, _ make: @Sendable () async throws -> Fixture) async throws -> Fixture {
        if let fixture = cache[name] { return fixture }
        let fixture = try await make()
        cache[name] = fixture
        return fixture
    }

    public func sqlite() async throws -> Fixture { try await get("sqlite") { try await Fixture.make(sqliteFile: true) } }
    public func memory() async throws -> Fixture { try await get("memory") { try await Fixture.make(sqliteFile: false) } }

    /// A SQLite fixture whose license has 100,000 usage rows (for the deep page).
    public func deepHistory() async throws -> Fixture {
        try await get("deep") {
            let fixture = try await Fixture.make(sqliteFile: true)
            for _ in 0..<100_000 {
                _ = try await fixture.store.recordValidation(
                    licenseID: fixture.licenseID, agentID: fixture.viewer.agentID, featureAccessed: nil
                ) { _, _ in .valid }
            }
            return fixture
        }
    }
}
