/// Facts a deployment keeps about itself, one value per name, in the extension track's
/// `tmws_deployment` table (``MigrationTrack/extensions``): for now the fingerprint of the signing
/// secret it was created with, so that a server started with another secret refuses to start
/// instead of answering `BAD_SIGNATURE` for every key.
///
/// The SQLite and PostgreSQL backends implement it; the in-memory backend, which lives only as long
/// as its process and its secret, does not need to.
public protocol DeploymentRecords: Sendable {
    /// The value stored under `name`, or `nil` when there is none.
    /// - Throws: `schemaMismatch` when the extension track is not applied; `unavailable` when storage fails.
    func deploymentRecord(_ name: String) async throws -> String?

    /// Stores `value` under `name` unless a value is already stored there, atomically: of two
    /// servers recording at once, both get back the one value that was stored first.
    /// - Returns: the value stored under `name` after the call (the earlier one, or `value`).
    /// - Throws: `invalidArgument` for a name longer than 64 bytes; `schemaMismatch`, `unavailable`.
    func recordIfAbsent(_ name: String, value: String) async throws -> String
}

extension DeploymentRecords {
    package static func checkRecordName(_ name: String) throws(StorageError) {
        guard !name.isEmpty, name.utf8.count <= 64 else {
            throw StorageError(.invalidArgument, "a deployment record name is 1 to 64 bytes long")
        }
    }
}
