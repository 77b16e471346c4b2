import Foundation
import Logging
import TMWSRBAC
import TMWSStorage

/// A running TMWS installation: the opened store and the services over it, as both executables
/// (and embedding apps) set it up.
///
/// ``open(_:)`` performs the first-run bootstrap: with no database at the configured location it
/// creates one (owner-only file and directory), migrates it to head, creates the signing secret
/// file when no secret is configured, creates the `admin` agent in namespace `default`, and writes
/// its API key to an owner-only file beside the database. An existing database is never
/// overwritten; one at an older revision is refused unless migration is asked for.
public struct Deployment: Sendable {
    /// How to open a deployment.
    public struct Options: Sendable {
        public var location: DatabaseLocation
        /// Upgrade an existing database at an older revision instead of refusing it.
        public var migrate: Bool
        /// Create the database (and admin agent) when there is none. `false` makes a missing database an error.
        public var createIfMissing: Bool
        public var environment: [String: String]
        public var sqlite: SQLiteStore.Configuration
        /// The store for a `DatabaseLocation.postgres(url:)` location (a `PostgresStore`
        /// from `TMWSStoragePostgres`, whose pool must be running), so that this module does not
        /// depend on a PostgreSQL driver. The `TMWS` module sets it: `Deployment.withOpened(_:_:)`
        /// for a scope, `Deployment.Resources` for a server's service group.
        public var externalStore: (any Store & SchemaMigrating)?
        /// Where the first-run bootstrap writes the admin's API key for a PostgreSQL database.
        /// Default: ``Deployment/defaultPostgresAdminKeyFile``.
        public var adminKeyFile: String?
        /// The `iss` of the license tokens this deployment signs. Default: `TMWS_TOKEN_ISSUER` from
        /// `environment`, else `tmws`.
        public var tokenIssuer: String?
        public var logger: Logger

        public init(
            location: DatabaseLocation, migrate: Bool = false, createIfMissing: Bool = true,
            environment: [String: String] = ProcessInfo.processInfo.environment,
            sqlite: SQLiteStore.Configuration = .init(), externalStore: (any Store & SchemaMigrating)? = nil,
            adminKeyFile: String? = nil, tokenIssuer: String? = nil, logger: Logger = Logger(label: "tmws")
        ) {
            self.tokenIssuer = tokenIssuer
            self.location = location
            self.migrate = migrate
            self.createIfMissing = createIfMissing
            self.environment = environment
            self.sqlite = sqlite
            self.externalStore = externalStore
            self.adminKeyFile = adminKeyFile
            self.logger = logger
        }
    }

    /// What the first-run bootstrap created, when it ran.
    public struct Bootstrap: Sendable {
        /// The `admin` agent.
        public let admin: Agent
        /// The file holding the admin's API key (0600). The key itself is never logged.
        public let adminKeyFile: String
        /// The signing secret file, when one was created.
        public let createdSecretFile: String?
    }

    /// The name of the bootstrap agent.
    public static let adminName = "admin"

    public let store: any Store
    public let location: DatabaseLocation
    /// The license operations.
    public let licenses: LicenseService
    /// Agent and API-key administration.
    public let agents: AgentAdministration
    /// The audit log and the monitoring report.
    public let audit: AuditService
    /// The keys that sign offline license tokens, and the public key set apps verify them with.
    public let signingKeys: SigningKeyAdministration
    public let authenticator: APIKeyAuthenticator
    /// Set when this call bootstrapped a new database.
    public let bootstrap: Bootstrap?

    /// Opens (and on first run, bootstraps) a deployment.
    /// - Throws: ``ConfigurationError`` for a missing/short secret or a database that needs
    ///   migrating or does not exist (when not created); `StorageError` when storage fails.
    public static func open(_ options: Options) async throws -> Deployment {
        let logger = options.logger
        switch options.location {
        case .memory:
            let store = MemoryStore()
            let secret =
                try SigningSecret.fromEnvironment(options.environment)
                ?? SigningSecret(SystemSecureRandom().bytes(48), source: "random, for this process only")
            logSecret(secret, logger: logger)
            let bootstrap = try await createAdmin(in: store, keyFile: adminKeyFile(for: .memory), createdSecretFile: nil)
            logger.info("in-memory database ready; admin API key written", metadata: ["key_file": "\(bootstrap.adminKeyFile)"])
            return make(store: store, location: .memory, secret: secret, bootstrap: bootstrap, options: options)

        case .sqliteFile(let path):
            let exists = Self.databaseExists(at: path)
            guard exists || options.createIfMissing else {
                throw ConfigurationError(
                    .missingDatabase,
                    "no database at \(path); check the path for a typo, or create one with `tmwsctl init` (with the same --db or TMWS_DATABASE_URL)")
            }
            let (secret, createdSecret) = try Self.secret(forDatabase: path, creating: !exists, environment: options.environment)
            let store = try SQLiteStore(path: path, configuration: options.sqlite)
            return try await openMigrating(
                store, options: options, secret: secret, createdSecretFile: createdSecret, create: true,
                adminKeyFile: adminKeyFile(for: options.location))

        case .postgres:
            guard let store = options.externalStore else {
                throw ConfigurationError(
                    .unsupportedLocation, "a PostgreSQL database needs the TMWS module: open it with Deployment.withOpened or Deployment.Resources")
            }
            guard let secret = try SigningSecret.fromEnvironment(options.environment) else {
                throw ConfigurationError(
                    .missingSecret,
                    "a PostgreSQL deployment needs TMWS_SECRET_KEY or TMWS_SECRET_KEY_FILE, the same secret on every server")
            }
            let keyFile = options.adminKeyFile ?? Self.defaultPostgresAdminKeyFile
            return try await openMigrating(
                store, options: options, secret: secret, createdSecretFile: nil, create: options.createIfMissing, adminKeyFile: keyFile)
        }
    }

    /// Brings a store to head — creating the schema and the admin agent when the database is
    /// empty and `create` allows it, upgrading it when asked — and builds the deployment.
    ///
    /// Only the process whose upgrade applied the first revision bootstraps, so servers starting
    /// together on one empty PostgreSQL database create one admin agent.
    static func openMigrating(
        _ store: any Store & SchemaMigrating, options: Options, secret: SigningSecret, createdSecretFile: String?,
        create: Bool, adminKeyFile: String
    ) async throws -> Deployment {
        let logger = options.logger
        logSecret(secret, logger: logger)
        let revision = try await store.currentRevision()
        var bootstrap: Bootstrap?
        if revision == nil {
            guard create else {
                throw ConfigurationError(.missingDatabase, "the database \(options.location) is empty; create it with `tmwsctl init`")
            }
            let applied = try await store.upgrade()
            try await prepareExtensions(store, secret: secret, logger: logger)
            if applied.first?.id == SchemaRevision.all.first?.id {
                bootstrap = try await createAdmin(in: store, keyFile: adminKeyFile, createdSecretFile: createdSecretFile)
                logger.info(
                    "created a new database; admin API key written",
                    metadata: ["database": "\(options.location)", "key_file": "\(adminKeyFile)"])
            }
        } else if revision != SchemaRevision.head {
            guard options.migrate else {
                throw ConfigurationError(
                    .needsMigration,
                    "the database \(options.location) is at revision \(revision!), not head \(SchemaRevision.head); run `tmwsctl migrate up` (or start with --migrate)"
                )
            }
            let applied = try await store.upgrade()
            logger.info("migrated the database", metadata: ["to": "\(SchemaRevision.head)", "steps": "\(applied.count)"])
            try await prepareExtensions(store, secret: secret, logger: logger)
            if applied.contains(where: { $0.id == SchemaRevision.addsRoles }) {
                let deployment = make(store: store, location: options.location, secret: secret, bootstrap: nil, options: options)
                try await deployment.restoreAdminAfterRoles(keyFile: adminKeyFile, logger: logger)
                return deployment
            }
        } else {
            try await prepareExtensions(store, secret: secret, logger: logger)
        }
        return make(store: store, location: options.location, secret: secret, bootstrap: bootstrap, options: options)
    }

    /// The name under which a deployment keeps its signing secret's fingerprint (`tmws_deployment`).
    public static let secretFingerprintRecord = "secret_fingerprint"

    /// Says where the signing secret came from and its fingerprint (never the secret).
    static func logSecret(_ secret: SigningSecret, logger: Logger) {
        logger.info("signing secret", metadata: ["source": "\(secret.source)", "fingerprint": "\(secret.fingerprint)"])
    }

    /// Brings the extension track to its head (it only adds TMWS's own tables, so this needs no
    /// `--migrate`; `tmwsctl migrate down --track extension` undoes it), then checks the signing
    /// secret against the fingerprint the deployment keeps, recording it on the first start that has
    /// none (a new deployment, or one created before fingerprints were kept). Runs every time a
    /// deployment opens, once its seed track is at head; doing nothing twice is cheap.
    /// - Throws: ``ConfigurationError/Code/wrongSecret`` when the secret is not the deployment's.
    static func prepareExtensions(_ store: any Store & SchemaMigrating, secret: SigningSecret, logger: Logger) async throws {
        let applied = try await store.upgrade(.extensions, to: MigrationTrack.extensions.head)
        if !applied.isEmpty {
            logger.info(
                "migrated the extension track", metadata: ["to": "\(MigrationTrack.extensions.head)", "steps": "\(applied.count)"])
        }
        guard let records = store as? any DeploymentRecords else { return }
        let fingerprint = secret.fingerprint
        let kept = try await records.recordIfAbsent(secretFingerprintRecord, value: fingerprint)
        guard kept == fingerprint else {
            throw ConfigurationError(
                .wrongSecret,
                "the signing secret (\(secret.source), fingerprint \(fingerprint)) is not the one this deployment was created with "
                    + "(fingerprint \(kept.prefix(64))): every issued key would fail as BAD_SIGNATURE. Start with the deployment's own "
                    + "secret (TMWS_SECRET_KEY, TMWS_SECRET_KEY_FILE, or tmws_secret.key beside a SQLite database). If the secret was "
                    + "replaced on purpose, which invalidates every issued key, forget the old fingerprint first: "
                    + "DELETE FROM tmws_deployment WHERE name = '\(secretFingerprintRecord)'")
        }
    }

    /// After the RBAC revision, which gives every existing agent the role `viewer`, does what
    /// `tmwsctl init` does (``ensureBootstrapAdmin(keyFile:)``, audited) so that an upgrade at start
    /// (`mcp-server --migrate`) does not lock every admin out, and says so at warning.
    func restoreAdminAfterRoles(keyFile: String, logger: Logger) async throws {
        let recovery = try await ensureBootstrapAdmin(keyFile: keyFile)
        guard recovery.created || recovery.restored else { return }
        var metadata: Logger.Metadata = ["agent": "\(recovery.admin.name)"]
        if let file = recovery.keyFile { metadata["key_file"] = "\(file)" }
        logger.warning(
            "the RBAC revision made every agent a viewer; the bootstrap agent was \(recovery.created ? "created" : "given back") the admin role (audited as role_changed by local-operator)",
            metadata: metadata)
    }

    /// Where the first-run bootstrap of a PostgreSQL database writes the admin's API key by
    /// default: `admin-postgres.key` in `~/.tmws/data/`.
    public static var defaultPostgresAdminKeyFile: String {
        (DatabaseLocation.defaultPath as NSString).deletingLastPathComponent + "/admin-postgres.key"
    }

    /// The file the bootstrap writes the admin's API key to for a location.
    public static func adminKeyFile(for location: DatabaseLocation) -> String {
        switch location {
        case .sqliteFile(let path): (path as NSString).deletingLastPathComponent + "/admin.key"
        case .memory: (DatabaseLocation.defaultPath as NSString).deletingLastPathComponent + "/admin-memory.key"
        case .postgres: defaultPostgresAdminKeyFile
        }
    }

    /// Whether a non-empty database file exists at `path`.
    public static func databaseExists(at path: String) -> Bool {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 0
    }

    /// The default secret file for a database: `tmws_secret.key` beside it.
    public static func secretFilePath(forDatabase path: String) -> String {
        (path as NSString).deletingLastPathComponent + "/tmws_secret.key"
    }

    /// The configured secret, else the secret file beside the database, else (for a new database
    /// only) a newly created secret file.
    static func secret(
        forDatabase path: String, creating: Bool, environment: [String: String]
    ) throws(ConfigurationError) -> (SigningSecret, createdFile: String?) {
        if let configured = try SigningSecret.fromEnvironment(environment) { return (configured, nil) }
        let secretFile = secretFilePath(forDatabase: path)
        if FileManager.default.fileExists(atPath: secretFile) { return (try SigningSecret.load(fromFile: secretFile), nil) }
        guard creating else {
            throw ConfigurationError(
                .missingSecret,
                "no signing secret: set TMWS_SECRET_KEY or TMWS_SECRET_KEY_FILE, or restore \(secretFile) (a new secret would invalidate every issued key)")
        }
        return (try SigningSecret.createFile(at: secretFile, randomBytes: SystemSecureRandom().bytes(48)), secretFile)
    }

    static func make(store: any Store, location: DatabaseLocation, secret: SigningSecret, bootstrap: Bootstrap?, options: Options) -> Deployment {
        let context = ServiceContext(store: store, logger: options.logger)
        let vault = SigningKeyVault(secret: secret)
        let issuer = options.tokenIssuer ?? options.environment["TMWS_TOKEN_ISSUER"].flatMap { $0.isEmpty ? nil : $0 } ?? LicenseService.defaultTokenIssuer
        return Deployment(
            store: store, location: location,
            licenses: LicenseService(context: context, signer: LicenseSigner(secret: secret), vault: vault, tokenIssuer: issuer),
            agents: AgentAdministration(context: context), audit: AuditService(context: context),
            signingKeys: SigningKeyAdministration(context: context, vault: vault),
            authenticator: APIKeyAuthenticator(store: store), bootstrap: bootstrap)
    }

    /// Creates the `admin` agent (unless it exists) and writes a new API key for it to `keyFile`.
    static func createAdmin(in store: any Store, keyFile: String, createdSecretFile: String?) async throws -> Bootstrap {
        let admin: Agent
        if let existing = try await store.agent(named: adminName) {
            admin = existing
        } else {
            admin = try await store.createAgent(
                NewAgent(name: adminName, displayName: "Administrator", namespace: "default", role: Role.admin.rawValue))
        }
        let issued = try await APIKeyAuthenticator(store: store).issueKey(for: admin.id)
        try writeOwnerOnly(issued.key + "\n", to: keyFile)
        return Bootstrap(admin: admin, adminKeyFile: keyFile, createdSecretFile: createdSecretFile)
    }

    /// Writes a file readable by its owner only (0600), replacing an existing one atomically: through
    /// an exclusive, no-follow temporary file with an unpredictable name in the same directory, then
    /// a rename. Refuses a directory every user may write to (unless it is sticky and the caller's).
    public static func writeOwnerOnly(_ text: String, to path: String) throws(ConfigurationError) {
        try OwnerOnlyFile.replace(text, at: path)
    }
}
