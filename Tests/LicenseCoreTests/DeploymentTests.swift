import Foundation
import TMWSLicenseCore
import TMWSRBAC
import TMWSStorage
import TMWSTestSupport
import Testing

/// `Deployment` in process, against a temporary directory: the first-run bootstrap, reopening,
/// what is refused and why (by code, not wording), and the break-glass admin recovery.
@Suite struct DeploymentTests {
    /// Options for a database file in `directory`, with no secret in the environment.
    static func options(_ directory: TemporaryDirectory, create: Bool = true, migrate: Bool = false) -> Deployment.Options {
        Deployment.Options(
            location: .sqliteFile(path: directory.path + "/data/tmws.db"), migrate: migrate, createIfMissing: create, environment: [:])
    }

    static func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// `healthProblem()` (what `GET /health` reports) names a schema at another revision and the
    /// fix, and clears once the schema is back at head (#15, item 3).
    @Test func healthNamesASchemaAtTheWrongRevision() async throws {
        let directory = try TemporaryDirectory()
        let deployment = try await Deployment.open(Self.options(directory))
        #expect(await deployment.healthProblem() == nil)
        let store = try #require(deployment.store as? SQLiteStore)
        try await store.downgrade(steps: 1)
        let problem = try #require(await deployment.healthProblem())
        #expect(problem.contains("revision 096325207c82, not 571948cc671b") && problem.contains("tmwsctl migrate up"), "\(problem)")
        try await store.downgrade(to: nil)
        #expect(await deployment.healthProblem()?.contains("none (an empty database)") == true)
        try await store.upgrade()
        #expect(await deployment.healthProblem() == nil)
    }

    /// The health check covers the extension track too: migrated down under a running server, it
    /// is named with the fix.
    @Test func healthNamesAnExtensionTrackAtTheWrongRevision() async throws {
        let directory = try TemporaryDirectory()
        let deployment = try await Deployment.open(Self.options(directory))
        let store = try #require(deployment.store as? SQLiteStore)
        try await store.downgrade(.extensions, to: nil)
        let problem = try #require(await deployment.healthProblem())
        #expect(problem.contains("extension") && problem.contains("tmwsctl migrate up"), "\(problem)")
        // Reopening brings the extension track back to its head by itself (it only adds tables).
        _ = try await Deployment.open(Self.options(directory, create: false))
        #expect(await deployment.healthProblem() == nil)
    }

    /// A deployment keeps its signing secret's fingerprint and refuses to open with another secret,
    /// instead of answering BAD_SIGNATURE for every key (#15, item 2). A deployment created before
    /// fingerprints were kept records the secret it is next opened with.
    @Test func aDeploymentRefusesASecretThatIsNotItsOwn() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/data/tmws.db"
        let created = try await Deployment.open(Self.options(directory))
        let secretFile = try #require(created.bootstrap?.createdSecretFile)
        let secret = try SigningSecret.load(fromFile: secretFile)
        let records = try #require(created.store as? any DeploymentRecords)
        #expect(try await records.deploymentRecord(Deployment.secretFingerprintRecord) == secret.fingerprint)
        #expect(secret.fingerprint.count == 16 && secret.fingerprint.allSatisfy(\.isHexDigit))
        #expect(!secret.source.isEmpty && !secret.fingerprint.isEmpty)

        // The same secret through the environment opens it.
        let text = try String(contentsOfFile: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var same = Self.options(directory, create: false)
        same.environment = ["TMWS_SECRET_KEY": text]
        _ = try await Deployment.open(same)

        // Another secret is refused by its own code, and the message names both fingerprints, never a secret.
        let other = String(repeating: "x", count: 40)
        var wrong = Self.options(directory, create: false)
        wrong.environment = ["TMWS_SECRET_KEY": other]
        let otherSecret = try SigningSecret(Array(other.utf8))
        #expect(otherSecret.fingerprint != secret.fingerprint)
        let error = await #expect(throws: ConfigurationError.self) { _ = try await Deployment.open(wrong) }
        #expect(error?.code == .wrongSecret)
        let message = error?.message ?? ""
        #expect(message.contains(secret.fingerprint) && message.contains(otherSecret.fingerprint), "\(message)")
        #expect(!message.contains(other) && !message.contains(text))

        // A deployment without a kept fingerprint (made by earlier code) records the next secret.
        let store = try SQLiteStore(path: path)
        try await store.downgrade(.extensions, to: nil)
        _ = try await Deployment.open(same)
        #expect(try await store.deploymentRecord(Deployment.secretFingerprintRecord) == secret.fingerprint)
    }

    @Test func theFirstOpenBootstrapsAndTheNextOpensWhatItMade() async throws {
        let directory = try TemporaryDirectory()
        let first = try await Deployment.open(Self.options(directory))
        let bootstrap = try #require(first.bootstrap)
        #expect(bootstrap.admin.name == Deployment.adminName && bootstrap.admin.role == Role.admin.rawValue)
        #expect(bootstrap.adminKeyFile == directory.path + "/data/admin.key")
        #expect(bootstrap.createdSecretFile == Deployment.secretFilePath(forDatabase: directory.path + "/data/tmws.db"))
        #expect(try Self.mode(bootstrap.adminKeyFile) == 0o600)
        #expect(try Self.mode(bootstrap.createdSecretFile!) == 0o600)
        #expect(try Self.mode(directory.path + "/data") & 0o077 == 0)
        // The key written is the admin's, and it works.
        let key = try String(contentsOfFile: bootstrap.adminKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await first.authenticator.authenticate(key)
        #expect(admin.agentID == bootstrap.admin.id)
        let generated = try await first.licenses.generateLicenseKey(as: admin, tier: .pro)

        // Reopened: no second bootstrap, the same secret (the key still validates), one admin agent.
        let second = try await Deployment.open(Self.options(directory, create: false))
        #expect(second.bootstrap == nil)
        #expect(try await second.licenses.validateLicenseKey(as: try await second.authenticator.authenticate(key), key: generated.key).valid)
        #expect(try await second.store.allAgents().map(\.name) == [Deployment.adminName])
    }

    @Test func aMissingDatabaseIsNotCreatedWhenCreationIsNotAsked() async throws {
        let directory = try TemporaryDirectory()
        let error = await #expect(throws: ConfigurationError.self) { try await Deployment.open(Self.options(directory, create: false)) }
        #expect(error?.code == .missingDatabase)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/tmws.db"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/admin.key"))
    }

    @Test func anOlderRevisionIsRefusedUnlessMigrationIsAsked() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Deployment.open(Self.options(directory))
        let store = try SQLiteStore(path: directory.path + "/data/tmws.db")
        _ = try await store.downgrade(steps: 1)
        let older = try await store.currentRevision()
        #expect(older != SchemaRevision.head)
        let error = await #expect(throws: ConfigurationError.self) { try await Deployment.open(Self.options(directory, create: false)) }
        #expect(error?.code == .needsMigration)
        #expect(try await store.currentRevision() == older, "a refused open changes nothing")
        let migrated = try await Deployment.open(Self.options(directory, create: false, migrate: true))
        #expect(try await migrated.store.agent(named: Deployment.adminName) != nil)
        #expect(try await store.currentRevision() == SchemaRevision.head)
    }

    /// An existing database whose secret file is gone is refused: a new secret would invalidate
    /// every issued key, so none is created.
    @Test func anExistingDatabaseWithoutItsSecretIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let bootstrap = try #require(try await Deployment.open(Self.options(directory)).bootstrap)
        let secretFile = try #require(bootstrap.createdSecretFile)
        try FileManager.default.removeItem(atPath: secretFile)
        let error = await #expect(throws: ConfigurationError.self) { try await Deployment.open(Self.options(directory, create: false)) }
        #expect(error?.code == .missingSecret)
        #expect(!FileManager.default.fileExists(atPath: secretFile))
        // A short secret in the environment is refused as invalid, not replaced.
        var options = Self.options(directory, create: false)
        options.environment = ["TMWS_SECRET_KEY": "too-short"]
        let short = await #expect(throws: ConfigurationError.self) { try await Deployment.open(options) }
        #expect(short?.code == .invalidSecret)
    }

    /// An upgrade at start through the RBAC revision (`mcp-server --migrate`) makes every agent a
    /// viewer; the deployment then gives the bootstrap admin its role back, audited, as `tmwsctl
    /// init` does, instead of locking every admin out (#15, item 4).
    @Test func upgradingThroughTheRolesRevisionKeepsAnAdmin() async throws {
        let directory = try TemporaryDirectory()
        let first = try await Deployment.open(Self.options(directory))
        let admin = try #require(first.bootstrap?.admin)
        let key = try String(contentsOfFile: try #require(first.bootstrap?.adminKeyFile), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try await (first.store as? SQLiteStore)?.downgrade(steps: 1)

        await #expect(throws: ConfigurationError.self) { try await Deployment.open(Self.options(directory, create: false)) }
        let upgraded = try await Deployment.open(Self.options(directory, create: false, migrate: true))
        #expect(try await upgraded.store.agent(id: admin.id)?.role == Role.admin.rawValue)
        let changes = try await upgraded.store.auditEvents(matching: AuditFilter(eventType: "role_changed"), page: PageRequest(limit: 10))
        #expect(changes.items.map { [$0.details["from"], $0.details["to"], $0.details["by"]] } == [["viewer", "admin", "local-operator"]])
        // Its key still works, so no new key file was needed.
        let principal = try await upgraded.authenticator.authenticate(key)
        #expect(try await upgraded.audit.events(as: principal, limit: 1).items.count == 1)
    }

    /// With no active admin left, recovery gives the bootstrap agent its role back, resumes it and
    /// issues it a key when it has none; with an active admin it changes nothing.
    @Test func recoveryRestoresTheBootstrapAdmin() async throws {
        let directory = try TemporaryDirectory()
        let deployment = try await Deployment.open(Self.options(directory))
        let admin = try #require(deployment.bootstrap?.admin)
        let keyFile = directory.path + "/data/recovered.key"
        let untouched = try await deployment.ensureBootstrapAdmin(keyFile: keyFile)
        #expect(!untouched.created && !untouched.restored && untouched.keyFile == nil)

        _ = try await deployment.store.updateAgent(id: admin.id, AgentChange(role: Role.viewer.rawValue, status: .suspended))
        for key in try await deployment.store.apiKeys(agentID: admin.id) { _ = try await deployment.store.revokeAPIKey(id: key.id) }
        let recovery = try await deployment.ensureBootstrapAdmin(keyFile: keyFile)
        #expect(recovery.restored && !recovery.created)
        #expect(recovery.admin.role == Role.admin.rawValue && recovery.admin.status == .active)
        #expect(recovery.keyFile == keyFile)
        #expect(try Self.mode(keyFile) == 0o600)
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await deployment.authenticator.authenticate(key).agentID == admin.id)
        let audit = try await deployment.store.auditEvents(matching: AuditFilter(eventType: "role_changed"), page: PageRequest(limit: 10))
        #expect(audit.items.first?.details["by"] == "local-operator")
    }
}
