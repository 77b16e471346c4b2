import Foundation
import TMWSStorage

extension Deployment {
    /// Why the deployment cannot serve requests now, or `nil` when it can: what `GET /health`
    /// reports (503 with this reason).
    ///
    /// Checked in order: the store answers and, after a failed write, takes writes again
    /// (`Store.ping()`: a full disk, an I/O error, a read-only file); then, for a store with a
    /// schema, both migration tracks are at the revisions this code needs (`MigrationTrack.head`). A database
    /// migrated down under a running server answers every tool with `UNAVAILABLE`; this names
    /// the cause and the fix instead.
    public func healthProblem() async -> String? {
        do {
            try await store.ping()
        } catch {
            return "storage unavailable: \((error as? StorageError)?.message ?? "unreachable")"
        }
        guard let migrating = store as? any SchemaMigrating else { return nil }
        do {
            for track in MigrationTrack.all {
                let revision = try await migrating.currentRevision(of: track)
                guard revision == track.head else {
                    let name = track == .seed ? "the schema" : "the \(track) schema track"
                    return "\(name) is at revision \(revision ?? (track == .seed ? "none (an empty database)" : "none")), not \(track.head); "
                        + "run `tmwsctl migrate up`"
                }
            }
            return nil
        } catch {
            return "the schema revision cannot be read: \((error as? StorageError)?.message ?? "\(error)")"
        }
    }
}
