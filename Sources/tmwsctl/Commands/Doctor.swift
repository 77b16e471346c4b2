import ArgumentParser
import Foundation
import TMWS
import TMWSLicenseCore
import TMWSStorage
import TMWSStoragePostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tmwsctl doctor`: the deployment guide's "Environment Verification" as one command.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the environment: database, schema, files, secret, disk, integrity and clock.",
        discussion: """
            Checks, in order: which database the configuration resolves to; that it exists and answers; both \
            schema tracks at head and the guide's schema checks (with PRAGMA quick_check on SQLite); the \
            signing secret (present, at least 32 bytes, the one the database was created with); owner-only \
            permissions of the database directory (0700) and files (0600); free disk space and the WAL's \
            size; the clock against the database's (PostgreSQL) or the database file's last write (SQLite); \
            and on PostgreSQL the server's version and its max_connections against pool_size. Prints each \
            problem with the command that fixes it, and exits 1 when there is any.
            """)

    @OptionGroup var global: GlobalOptions

    /// One check's outcome.
    struct Check: Encodable {
        var name: String
        var ok: Bool
        var detail: String
        /// The command (or step) that fixes a problem.
        var fix: String?
    }

    struct Result: Encodable {
        var ok: Bool
        var database: String
        var checks: [Check]
    }

    /// A WAL beyond this many bytes means checkpoints are not keeping up.
    static let walLimit: Int64 = 64 << 20
    /// Less free space than this (or than 5 % of the volume) is a problem.
    static let freeSpaceFloor: Int64 = 256 << 20
    /// A clock further off than this from the database's is a problem.
    static let clockTolerance: TimeInterval = 300

    func run() async throws {
        try global.refuseAgent()
        let location = try global.location()
        var checks: [Check] = []
        checks.append(Check(name: "database", ok: true, detail: "\(location) (\(global.databaseSource))"))
        switch location {
        case .memory:
            checks.append(Check(name: "database", ok: false, detail: ":memory: keeps nothing", fix: "pass --db PATH or set TMWS_DATABASE_URL"))
        case .sqliteFile(let path):
            checks += await sqliteChecks(path: path)
        case .postgres:
            checks += await storeChecks(location: location, databasePath: nil)
        }
        checks = checks.map { check in
            var check = check
            if check.ok { check.fix = nil }
            return check
        }
        let ok = checks.allSatisfy(\.ok)
        if global.json {
            try JSONOutput.print(Result(ok: ok, database: "\(location)", checks: checks))
        } else {
            for check in checks {
                Console.out("[\(check.ok ? "OK" : "PROBLEM")] \(check.name): \(TerminalText.escaped(check.detail))")
                if let fix = check.fix, !check.ok { Console.out("    fix: \(fix)") }
            }
            Console.out(ok ? "no problems found" : "\(checks.filter { !$0.ok }.count) problem(s) found")
        }
        if !ok { throw ExitCode(Failure.checkFailed) }
    }

    // MARK: SQLite

    func sqliteChecks(path: String) async -> [Check] {
        guard Deployment.databaseExists(at: path) else {
            return [Check(name: "reachable", ok: false, detail: "no database at \(path)", fix: "tmwsctl init --db \(path)")]
        }
        var checks = await storeChecks(location: .sqliteFile(path: path), databasePath: path)
        let directory = (path as NSString).deletingLastPathComponent
        checks.append(Self.mode(of: directory, ownerOnly: 0o700, name: "directory permissions"))
        for file in [path, path + "-wal", path + "-shm", Deployment.secretFilePath(forDatabase: path), directory + "/admin.key"]
        where FileManager.default.fileExists(atPath: file) {
            checks.append(Self.mode(of: file, ownerOnly: 0o600, name: "file permissions"))
        }
        checks.append(Self.freeSpace(at: directory))
        let wal = Self.size(of: path + "-wal") ?? 0
        checks.append(
            Check(
                name: "WAL size", ok: wal <= Self.walLimit, detail: "\(Self.megabytes(wal)) (a problem above \(Self.megabytes(Self.walLimit)))",
                fix: "a reader holds the WAL open (a long query, a stuck process): stop it, or restart the server, so that the next checkpoint truncates it"))
        // The kernel stamps each write with its clock: a database written in the future means the
        // clock went back since (expiry checks and audit times would be wrong).
        if let written = Self.modified(path + "-wal").map({ max($0, Self.modified(path) ?? $0) }) ?? Self.modified(path) {
            let ahead = written.timeIntervalSinceNow
            checks.append(
                Check(
                    name: "clock", ok: ahead <= Self.clockTolerance,
                    detail: ahead > Self.clockTolerance
                        ? "the database was last written \(Int(ahead)) s in the future of this clock" : "not behind the database's last write",
                    fix: "set the clock right (timedatectl set-ntp true) before serving: expiry and audit times follow it"))
        }
        return checks
    }

    // MARK: Both backends

    /// Opens the store for schema work (no bootstrap) and checks what it can answer.
    func storeChecks(location: DatabaseLocation, databasePath: String?) async -> [Check] {
        var checks: [Check] = []
        do {
            try await Deployment.withSchemaStore(at: location, logger: LogSetup.logger) { store in
                checks.append(Check(name: "reachable", ok: true, detail: "opened"))
                var atHead = true
                for track in MigrationTrack.all {
                    let revision = try await store.currentRevision(of: track)
                    atHead = atHead && revision == track.head
                    checks.append(
                        Check(
                            name: "schema (\(track))", ok: revision == track.head, detail: "at \(revision ?? "none"), head \(track.head)",
                            fix: revision == nil && track == .seed ? "tmwsctl init (an empty database)" : "tmwsctl backup && tmwsctl migrate up"))
                }
                // The guide's schema checks mean something once both tracks are at head; before,
                // every one of them fails for the same reason as the revision.
                if atHead {
                    for check in try await store.verifySchema() where !check.passed {
                        checks.append(
                            Check(
                                name: "schema check: \(check.name)", ok: false, detail: "expected \(check.expected), found \(check.found)",
                                fix: "tmwsctl schema verify, then restore the last good backup (tmwsctl restore FILE)"))
                    }
                }
                checks.append(await secretCheck(store: store, databasePath: databasePath))
                if let postgres = store as? PostgresStore {
                    checks += try await Self.postgresChecks(postgres.serverFacts())
                }
            }
        } catch {
            checks.append(
                Check(
                    name: "reachable", ok: false, detail: Failure.report(for: error).message ?? "\(error)",
                    fix: databasePath.map { "check the path and its permissions (ls -l \($0))" }
                        ?? "check the URL, the password and that the server accepts connections (psql URL -c 'SELECT 1')"))
        }
        return checks
    }

    /// The secret the servers would use: present, long enough, and the database's own.
    func secretCheck(store: any Store, databasePath: String?) async -> Check {
        let secret: SigningSecret
        do {
            if let configured = try SigningSecret.fromEnvironment() {
                secret = configured
            } else if let databasePath {
                secret = try SigningSecret.load(fromFile: Deployment.secretFilePath(forDatabase: databasePath))
            } else {
                return Check(
                    name: "signing secret", ok: false, detail: "not set (PostgreSQL has no secret file to fall back on)",
                    fix: "set TMWS_SECRET_KEY_FILE (or TMWS_SECRET_KEY) to the servers' secret")
            }
        } catch {
            return Check(
                name: "signing secret", ok: false, detail: error.message,
                fix: "set TMWS_SECRET_KEY_FILE to a file of at least \(SigningSecret.minimumLength) bytes, or restore tmws_secret.key from a backup")
        }
        guard let records = store as? any DeploymentRecords,
            let kept = try? await records.deploymentRecord(Deployment.secretFingerprintRecord)
        else {
            return Check(name: "signing secret", ok: true, detail: "\(secret.source), fingerprint \(secret.fingerprint) (none recorded yet)")
        }
        return Check(
            name: "signing secret", ok: kept == secret.fingerprint,
            detail: kept == secret.fingerprint
                ? "\(secret.source), fingerprint \(secret.fingerprint), the database's own"
                : "\(secret.source) has fingerprint \(secret.fingerprint), but the database was created with \(kept)",
            fix: "use the secret the database was created with (TMWS_SECRET_KEY_FILE, or tmws_secret.key beside the database)")
    }

    static func postgresChecks(_ facts: PostgresStore.ServerFacts) -> [Check] {
        let skew = facts.now.timeIntervalSinceNow
        return [
            Check(
                name: "PostgreSQL version", ok: facts.majorVersion >= 12, detail: facts.version,
                fix: "upgrade the server to PostgreSQL 12 or later"),
            Check(
                name: "connection pool", ok: facts.poolSize < facts.maxConnections,
                detail: "pool_size \(facts.poolSize) per process; the server allows \(facts.maxConnections) connections in all",
                fix: "keep the sum of pool_size over all servers below max_connections (the URL's pool_size parameter)"),
            Check(
                name: "clock", ok: abs(skew) <= 5,
                detail: String(format: "%.1f s from the database server's clock", abs(skew) < 0.05 ? 0 : skew),
                fix: "synchronize both clocks (timedatectl set-ntp true): expiry and audit times come from the database server"),
        ]
    }

    // MARK: Files

    static func mode(of path: String, ownerOnly expected: Int, name: String) -> Check {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber else {
            return Check(name: name, ok: false, detail: "\(path): its permissions cannot be read", fix: "ls -ld \(path)")
        }
        let bits = mode.intValue & 0o777
        return Check(
            name: name, ok: bits & 0o077 == 0, detail: "\(path) is \(String(bits, radix: 8))",
            fix: "chmod \(String(expected, radix: 8)) \(path)")
    }

    static func freeSpace(at directory: String) -> Check {
        var volume = statvfs()
        guard statvfs(directory, &volume) == 0 else {
            return Check(name: "free disk space", ok: false, detail: "cannot read (\(String(cString: strerror(errno))))", fix: "df -h \(directory)")
        }
        let free = Int64(volume.f_bavail) * Int64(volume.f_frsize)
        let total = Int64(volume.f_blocks) * Int64(volume.f_frsize)
        let ok = free >= freeSpaceFloor && (total == 0 || free * 20 >= total)
        return Check(
            name: "free disk space", ok: ok, detail: "\(megabytes(free)) free of \(megabytes(total))",
            fix: "free space on the volume of \(directory) (old backups: ls -lh \(directory)/tmws_backup_*)")
    }

    static func size(of path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
