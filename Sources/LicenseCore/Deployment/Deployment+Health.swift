import Foundation
import TMWSStorage

extension Deployment {
    /// Why the deployment cannot serve requests now, or `nil` when it can: what `GET /health`
    /// reports (503 with this reason).
    ///
    /// Checked in order: the store answers and, after a failed write, takes writes again
    /// (`Store.ping()`: a full disk, an I/O error, a read-only file); then, for a store with a
    /// schema, the schema is at the revision this code needs (`SchemaRevision.head`). A database
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
            let revision = try await migrating.currentRevision()
            guard revision == SchemaRevision.head else {
                return "the schema is at revision \(revision ?? "none (an empty database)"), not \(SchemaRevision.head); "
                    + "run `tmwsctl migrate up`"
            }
            return nil
        } catch {
            return "the schema revision cannot be read: \((error as? StorageError)?.message ?? "\(error)")"
        }
    }
}
