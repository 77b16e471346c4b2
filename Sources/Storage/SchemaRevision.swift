/// A revision of the TMWS schema, as recorded in `alembic_version.version_num`.
///
/// The ids are those of the Python TMWS v2.3.0 Alembic history, so a database keeps one
/// revision history whichever implementation migrated it.
public struct SchemaRevision: Sendable, Hashable, CustomStringConvertible {
    /// The revision id, e.g. `571948cc671b`.
    public let id: String
    /// The revision this one upgrades from; `nil` for the first.
    public let downRevision: String?
    /// What the revision does.
    public let message: String

    /// Every revision, oldest first.
    public static let all: [SchemaRevision] = [
        SchemaRevision(id: "e674ec434eeb", downRevision: nil, message: "base: agents, agent_api_keys, security_audit_logs"),
        SchemaRevision(id: "096325207c82", downRevision: "e674ec434eeb", message: "add_license_key_system"),
        SchemaRevision(id: "571948cc671b", downRevision: "096325207c82", message: "Add Agent.role field for RBAC"),
    ]

    /// The newest revision, which this code needs.
    public static let head = all.last!.id

    /// The revision that adds `agents.role`, giving every existing agent the role `viewer`.
    public static let addsRoles = "571948cc671b"

    /// The revision with this id, if it is one of ours.
    public static func named(_ id: String) -> SchemaRevision? { all.first { $0.id == id } }

    /// The position of a seed revision in history: 0 for none (an empty database), 1 for the first, …
    package static func position(of id: String?) throws(StorageError) -> Int {
        try MigrationTrack.seed.position(of: id)
    }

    /// The extension track's revisions, oldest first (see ``MigrationTrack/extensions``). Their ids
    /// never look like the seed's, so an id names its track.
    public static let extensionTrack: [SchemaRevision] = [
        SchemaRevision(
            id: "tmws_0001_deployment", downRevision: nil,
            message: "tmws_deployment: facts a deployment keeps about itself (the signing secret's fingerprint)"),
        SchemaRevision(
            id: "tmws_0002_signing_keys", downRevision: "tmws_0001_deployment",
            message: "tmws_signing_keys: Ed25519 keys that sign offline license tokens (private keys sealed)"),
    ]

    public var description: String { "\(id) (\(message))" }

    /// What undoing this revision removes, with the rows in it.
    public var removedByDowngrade: [SchemaObject] {
        switch id {
        case "571948cc671b": [SchemaObject(table: "agents", column: "role")]
        case "096325207c82": [SchemaObject(table: "license_usage_history"), SchemaObject(table: "license_keys")]
        case "e674ec434eeb": [SchemaObject(table: "security_audit_logs"), SchemaObject(table: "agent_api_keys"), SchemaObject(table: "agents")]
        case "tmws_0001_deployment": [SchemaObject(table: "tmws_deployment")]
        case "tmws_0002_signing_keys": [SchemaObject(table: "tmws_signing_keys")]
        default: []
        }
    }

    /// The tables of both tracks (those some downgrade removes): the ones ``SchemaVerifying/rowCount(of:)`` counts.
    public static let tables: Set<String> = Set((all + extensionTrack).flatMap(\.removedByDowngrade).map(\.table))
}

/// A table, or one column of a table, of the schema.
public struct SchemaObject: Sendable, Hashable, CustomStringConvertible {
    public let table: String
    /// The column; `nil` for the whole table.
    public let column: String?

    public init(table: String, column: String? = nil) {
        self.table = table
        self.column = column
    }

    public var description: String { column.map { "column \(table).\($0)" } ?? "table \(table)" }
}

/// A store whose schema can be inspected and migrated up and down, on each ``MigrationTrack``.
///
/// Every step runs in its own transaction and updates the track's version table in it.
/// Downgrading a step removes exactly what that step added and keeps every other table, column and
/// row. The tracks are independent: neither's steps touch the other's tables.
public protocol SchemaMigrating: Sendable {
    /// The revision a track is at, or `nil` when none of its revisions is applied.
    /// - Throws: `schemaMismatch` for a revision id this code does not know.
    func currentRevision(of track: MigrationTrack) async throws -> String?

    /// Upgrades a track step by step to `revision`. Does nothing when already there.
    /// - Returns: the revisions applied, in order.
    /// - Throws: `invalidArgument` when `revision` is not one of the track's or is older than the current one.
    @discardableResult
    func upgrade(_ track: MigrationTrack, to revision: String) async throws -> [SchemaRevision]

    /// Downgrades a track step by step to `revision`; `nil` means below its first revision.
    /// - Returns: the revisions undone, in order.
    /// - Throws: `invalidArgument` when `revision` is not one of the track's or is newer than the current one.
    @discardableResult
    func downgrade(_ track: MigrationTrack, to revision: String?) async throws -> [SchemaRevision]
}

extension SchemaMigrating {
    /// The seed revision (`alembic_version`) the database is at, or `nil` for an empty database.
    public func currentRevision() async throws -> String? { try await currentRevision(of: .seed) }

    /// Upgrades the seed track step by step to `revision`.
    @discardableResult
    public func upgrade(to revision: String) async throws -> [SchemaRevision] { try await upgrade(.seed, to: revision) }

    /// Downgrades the seed track step by step to `revision`; `nil` means to an empty database.
    @discardableResult
    public func downgrade(to revision: String?) async throws -> [SchemaRevision] { try await downgrade(.seed, to: revision) }

    /// Upgrades the seed track to its head revision.
    @discardableResult
    public func upgrade() async throws -> [SchemaRevision] { try await upgrade(to: SchemaRevision.head) }

    /// Upgrades every track to its head, the seed's first.
    /// - Returns: the revisions applied, in order.
    @discardableResult
    public func upgradeAllTracks() async throws -> [SchemaRevision] {
        var applied: [SchemaRevision] = []
        for track in MigrationTrack.all { applied += try await upgrade(track, to: track.head) }
        return applied
    }

    /// Downgrades a number of steps (at least 1).
    @discardableResult
    public func downgrade(steps: Int) async throws -> [SchemaRevision] {
        guard steps >= 1 else { throw StorageError(.invalidArgument, "steps must be at least 1") }
        let position = try SchemaRevision.position(of: try await currentRevision())
        guard steps <= position else {
            throw StorageError(.invalidArgument, "cannot go down \(steps) steps from revision position \(position)")
        }
        let target = position - steps
        return try await downgrade(to: target == 0 ? nil : SchemaRevision.all[target - 1].id)
    }
}
