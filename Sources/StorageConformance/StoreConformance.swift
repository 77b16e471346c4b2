import Foundation
import TMWSStorage
import Testing

/// The storage contract as a runnable suite: every promise `Store` makes (atomic
/// steps, audit rows written with the change they record, keyset pages that survive ties in time,
/// idempotent revocation, validations that cannot outrun a revocation, …) as checks that run
/// against any store.
///
/// Our four backends (memory, SQLite file, SQLite in memory, PostgreSQL) run through this entry
/// point; a store of your own runs the same checks in a few lines of a Swift Testing target:
///
/// ```swift
/// import TMWSStorageConformance
/// import Testing
///
/// @Test(arguments: StoreConformance.checks)
/// func myStoreConforms(_ check: StoreConformance.Check) async throws {
///     try await StoreConformance(makeStore: { clock in try await MyStore.temporary(clock: clock) }).run(check)
/// }
/// ```
///
/// Each check gets a new, empty store, migrated to head, from `makeStore`. The store must take
/// every time it records from the clock it is given: most checks freeze time and move it on
/// themselves, to test ordering at equal and at later times. A failed expectation is recorded as a
/// Swift Testing issue in the calling test.
public struct StoreConformance: Sendable {
    /// A store made for one check, with whatever must live as long as it (a temporary directory,
    /// a database schema that its deinitialiser drops).
    public struct Subject: Sendable {
        public let store: any Store
        let resources: (any Sendable)?

        public init(_ store: any Store, keepingAlive resources: (any Sendable)? = nil) {
            self.store = store
            self.resources = resources
        }
    }

    /// What a check is about; the checks' source folders have the same names.
    public enum Concept: String, Sendable, CaseIterable {
        case agents, apiKeys, audit, licenses, revocation, validation, pagination, concurrency, health
    }

    /// One property of the contract.
    public struct Check: Sendable, CustomStringConvertible, CustomTestStringConvertible {
        /// Which clock the check's store gets.
        enum Clock: Sendable {
            /// A ``TestClock`` that stands still until the check moves it (and that can pause a read).
            case frozen
            /// The system clock, for checks that race tasks against each other in real time.
            case system
        }

        public let concept: Concept
        /// The check's name, unique within its concept.
        public let name: String
        let clock: Clock
        let body: @Sendable (ConformanceFixture) async throws -> Void

        init(
            _ concept: Concept, _ name: String, clock: Clock = .frozen,
            _ body: @escaping @Sendable (ConformanceFixture) async throws -> Void
        ) {
            self.concept = concept
            self.name = name
            self.clock = clock
            self.body = body
        }

        public var description: String { "\(concept.rawValue): \(name)" }
        public var testDescription: String { description }
    }

    /// Makes an empty store, migrated to head, that takes its time from the given clock.
    public typealias MakeSubject = @Sendable (_ clock: @escaping @Sendable () -> Date) async throws -> Subject

    let makeSubject: MakeSubject

    /// A suite over stores that need nothing kept alive beside them.
    public init(makeStore: @escaping @Sendable (_ clock: @escaping @Sendable () -> Date) async throws -> any Store) {
        self.makeSubject = { clock in Subject(try await makeStore(clock)) }
    }

    /// A suite over stores that come with resources (see ``Subject``).
    public init(makeSubject: @escaping MakeSubject) {
        self.makeSubject = makeSubject
    }

    /// Runs one check against a new store.
    public func run(_ check: Check) async throws {
        let fixture = try await ConformanceFixture(clock: check.clock, makeSubject: makeSubject)
        try await check.body(fixture)
    }

    /// Runs every check (of the given concepts), one after another, each against a new store.
    /// Prefer one test per check (``checks`` as the test's arguments), which reports each by name.
    public func runAll(_ concepts: Set<Concept> = Set(Concept.allCases)) async throws {
        for check in Self.checks where concepts.contains(check.concept) {
            try await run(check)
        }
    }

    /// Every check, by concept.
    public static let checks: [Check] = [
        Check(.agents, "createAndFetch", createAndFetch),
        Check(.agents, "defaultRoleIsViewer", defaultRoleIsViewer),
        Check(.agents, "unknownRoleRoundTrips", unknownRoleRoundTrips),
        Check(.agents, "duplicatesConflict", duplicatesConflict),
        Check(.agents, "updateChangesAndAudits", updateChangesAndAudits),
        Check(.apiKeys, "apiKeyLifecycle", apiKeyLifecycle),
        Check(.apiKeys, "resolvedKeyReportsSuspendedAgent", resolvedKeyReportsSuspendedAgent),
        Check(.audit, "appendAndQueryNewestFirst", appendAndQueryNewestFirst),
        Check(.audit, "filtersAndCounts", filtersAndCounts),
        Check(.audit, "checkAgentDecidesOnWhatItAudits", checkAgentDecidesOnWhatItAudits),
        Check(.licenses, "insertAndFetch", insertAndFetch),
        Check(.licenses, "insertConflictsAndMissingOwner", insertConflictsAndMissingOwner),
        Check(.licenses, "insertWritesItsAuditEventAtomically", insertWritesItsAuditEventAtomically),
        Check(.revocation, "revokeIsIdempotent", revokeIsIdempotent),
        Check(.validation, "recordValidationAppliesTheDecisionAtomically", recordValidationAppliesTheDecisionAtomically),
        Check(.validation, "validationSeesRevocation", validationSeesRevocation),
        Check(.validation, "resolvesTheKeyAndRecordsForItsAgent", resolvesTheKeyAndRecordsForItsAgent),
        Check(.validation, "aKeyThatDoesNotAuthenticateWritesNothing", aKeyThatDoesNotAuthenticateWritesNothing),
        Check(.pagination, "listFiltersAndPages", listFiltersAndPages),
        Check(.pagination, "listFiltersAndPagesWithTies", listFiltersAndPagesWithTies),
        Check(.pagination, "paginationWithTiesInTime", paginationWithTiesInTime),
        Check(.pagination, "badPageRequestsAreRejected", badPageRequestsAreRejected),
        Check(.pagination, "usageHistoryPagesWithTies", usageHistoryPagesWithTies),
        Check(.concurrency, "validationsRacingARevoke", clock: .system, validationsRacingARevoke),
        Check(.health, "pingSucceeds", pingSucceeds),
        Check(.concurrency, "timeIsTakenInsideTheValidationStep", timeIsTakenInsideTheValidationStep),
    ]
}
