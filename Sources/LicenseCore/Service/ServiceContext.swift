import Foundation
import Logging
import Synchronization
import TMWSRBAC
import TMWSStorage

/// What the services of one deployment share: the store, one `Authorizer` over it, the
/// clock, the random source and the logger.
///
/// ``LicenseService``, ``AgentAdministration`` and ``AuditService`` are each built from one
/// context, so that they check permissions through the same authorizer and see the same time:
///
/// ```swift
/// let context = ServiceContext(store: store)
/// let licenses = LicenseService(context: context, signer: LicenseSigner(secret: secret))
/// let agents = AgentAdministration(context: context)
/// let audit = AuditService(context: context)
/// ```
public struct ServiceContext: Sendable {
    public let store: any Store
    public let authorizer: Authorizer
    let clock: @Sendable () -> Date
    let random: any SecureRandom
    let logger: Logger
    let storageFailures: StorageFailureLog

    /// - Parameters:
    ///   - store: where licenses, agents, usage and audit rows live.
    ///   - clock: where time comes from (share it with the store in tests).
    ///   - random: where license and agent ids and API keys come from.
    ///   - logger: operation logs at debug level, and storage failures (a full disk, a lost
    ///     connection, a schema at another revision) at warning with their cause, at most one line
    ///     per 10 seconds with a count of those left out; never a key or a secret.
    public init(
        store: any Store, clock: @escaping @Sendable () -> Date = { Date() },
        random: any SecureRandom = SystemSecureRandom(), logger: Logger = Logger(label: "tmws.license")
    ) {
        self.store = store
        self.authorizer = Authorizer(store: store)
        self.clock = clock
        self.random = random
        self.logger = logger
        self.storageFailures = StorageFailureLog()
    }

    /// Runs an operation body, mapping every error to a ``LicenseError``.
    func run<T>(_ operation: String, _ body: () async throws -> T) async throws(LicenseError) -> T {
        do {
            return try await body()
        } catch {
            let mapped = LicenseError(mapping: error)
            logger.debug("operation failed", metadata: ["operation": "\(operation)", "code": "\(mapped.code)"])
            if let cause = StorageFailureLog.storageFailure(in: error) {
                storageFailures.report(cause, operation: operation, to: logger)
            }
            throw mapped
        }
    }

    /// Checks a page size against ``ServiceLimits/pageSize``.
    static func checkPageSize(_ limit: Int) throws {
        guard ServiceLimits.pageSize.contains(limit) else {
            throw LicenseError(.invalidArgument, "limit must be between \(ServiceLimits.pageSize.lowerBound) and \(ServiceLimits.pageSize.upperBound)")
        }
    }
}

/// Logs storage failures at warning, at most one line per interval: under a full disk every
/// call fails, and a line per call would flood the log (and the disk it is on).
final class StorageFailureLog: Sendable {
    private struct State {
        var lastLogged: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let state = Mutex(State())
    private let interval: Duration = .seconds(10)

    /// The storage error under `error` when it says the store cannot serve (not that a row is
    /// missing or a value taken).
    static func storageFailure(in error: any Error) -> StorageError? {
        let storage =
            (error as? StorageError) ?? ((error as? AccessError)?.underlying as? StorageError)
            ?? ((error as? LicenseError)?.underlying as? StorageError)
        guard let storage, [.unavailable, .corrupt, .schemaMismatch, .internalError].contains(storage.code) else { return nil }
        return storage
    }

    func report(_ failure: StorageError, operation: String, to logger: Logger) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { state in
            if let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state = State(lastLogged: now, suppressed: 0) }
            return state.suppressed
        }
        guard let suppressed else { return }
        logger.warning(
            "storage failure: \(failure.message)",
            metadata: ["operation": "\(operation)", "code": "\(failure.code)", "suppressed_since_last": "\(suppressed)"])
    }
}

/// A service over a ``ServiceContext``: what each operation reaches through it.
protocol ContextService: Sendable {
    var context: ServiceContext { get }
}

extension ContextService {
    var store: any Store { context.store }
    var authorizer: Authorizer { context.authorizer }
    var clock: @Sendable () -> Date { context.clock }

    /// Runs an operation body, mapping every error to a ``LicenseError`` (``ServiceContext/run(_:_:)``).
    func run<T>(_ operation: String, _ body: () async throws -> T) async throws(LicenseError) -> T {
        try await context.run(operation, body)
    }
}

/// Bounds on caller-supplied values, shared by the services and the tools' input schemas.
public enum ServiceLimits {
    /// Days until a license expires.
    public static let expiresDays = 30...3650
    /// Items per page.
    public static let pageSize = 1...1000
    /// A license's metadata: entries, key and value bytes.
    public static let metadataEntries = 32
    public static let metadataKeyBytes = 64
    public static let metadataValueBytes = 1024
    /// `feature_accessed` of a validation.
    public static let featureBytes = 256
    /// A revocation's reason.
    public static let reasonBytes = 1024
    /// An agent's name and namespace, in characters.
    public static let identifierCharacters = 128
    /// An agent's display name.
    public static let displayNameBytes = 256
}

extension UUID {
    /// A version 4 UUID from an injected random source.
    static func random(using random: any SecureRandom) -> UUID {
        var bytes = random.bytes(16)
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        return bytes.withUnsafeBytes { UUID(uuid: $0.load(as: uuid_t.self)) }
    }
}
