/// One independent chain of reversible schema revisions, recorded in its own version table.
///
/// The **seed** track is the Python TMWS v2.3.0 Alembic history: `alembic_version` ends at
/// `571948cc671b`, which the deployment guide's monitoring checks, so it never gets a revision of
/// ours. Tables the seed does not have live in the **extension** track (`tmws_extension_version`),
/// whose steps never alter a seed table. `tmwsctl migrate` shows and handles both.
public struct MigrationTrack: Sendable, Hashable, CustomStringConvertible {
    /// `seed` or `extension`.
    public let name: String
    /// The one-row table holding the track's current revision.
    public let versionTable: String
    /// The track's revisions, oldest first.
    public let revisions: [SchemaRevision]

    /// The Alembic history (`alembic_version`).
    public static let seed = MigrationTrack(name: "seed", versionTable: "alembic_version", revisions: SchemaRevision.all)
    /// TMWS's own tables (`tmws_extension_version`).
    public static let extensions = MigrationTrack(
        name: "extension", versionTable: "tmws_extension_version", revisions: SchemaRevision.extensionTrack)
    /// Both tracks, the seed first.
    public static let all: [MigrationTrack] = [seed, extensions]

    /// The newest revision, which this code needs.
    public var head: String { revisions[revisions.count - 1].id }

    /// The track named `name` (`seed` or `extension`).
    public static func named(_ name: String) -> MigrationTrack? { all.first { $0.name == name } }

    /// The track one of whose revisions is `id`.
    public static func holding(revision id: String) -> MigrationTrack? { all.first { $0.revision(id) != nil } }

    /// The revision `id` of this track.
    public func revision(_ id: String) -> SchemaRevision? { revisions.first { $0.id == id } }

    /// The position of a revision in the track: 0 for none applied, 1 for the first, …
    /// - Throws: `schemaMismatch` for an id this code does not know (newer code migrated the database).
    public func position(of id: String?) throws(StorageError) -> Int {
        guard let id else { return 0 }
        guard let index = revisions.firstIndex(where: { $0.id == id }) else {
            throw StorageError(
                .schemaMismatch, "unknown \(name) schema revision '\(id.prefix(64))'; this database was migrated by newer code")
        }
        return index + 1
    }

    /// The revision at a position (`nil` for 0).
    public func revision(at position: Int) -> String? { position == 0 ? nil : revisions[position - 1].id }

    public var description: String { name }

    public static func == (lhs: MigrationTrack, rhs: MigrationTrack) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
