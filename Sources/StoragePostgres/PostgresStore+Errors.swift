import PostgresNIO
import TMWSStorage
import _ConnectionPoolModule

extension PostgresStore {
    /// Maps any error to a `StorageError` with the code every backend uses. The
    /// message names the SQLSTATE, never a value: postgres-nio keeps the statement and its
    /// arguments in the underlying error, which only `debugDescription` shows.
    static func map(_ error: any Error) -> StorageError {
        if let error = error as? PostgresTransactionError {
            // What failed first: BEGIN, the body, or COMMIT (a failed ROLLBACK only follows one of these).
            if let cause = error.beginError ?? error.closureError ?? error.commitError ?? error.rollbackError {
                return map(cause)
            }
        }
        if let error = error as? StorageError { return error }
        if error is CancellationError { return StorageError(.unavailable, "the operation was cancelled", underlying: error) }
        if let error = error as? ConnectionPoolError {
            // The pool logs the cause of each failed connection attempt (refused, timed out, bad
            // credentials) through the store's logger; the error itself carries none.
            let reason =
                error == .connectionCreationCircuitBreakerTripped
                ? "cannot connect to PostgreSQL: check the URL's host, port, user and password, and that the server accepts connections"
                : "the PostgreSQL connection pool is shut down or the request was cancelled"
            return StorageError(.unavailable, reason, underlying: error)
        }
        if error is PostgresDecodingError {
            return StorageError(.corrupt, "a stored value does not have the type this code expects", underlying: error)
        }
        guard let error = error as? PSQLError else {
            return StorageError(.internalError, "unexpected error from PostgreSQL (\(type(of: error)))", underlying: error)
        }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            if error.code == .queryCancelled {
                return StorageError(.unavailable, "the query was cancelled", underlying: error)
            }
            return StorageError(.unavailable, "cannot reach PostgreSQL (\(error.code))", underlying: error)
        }
        switch state {
        case "23505":
            return StorageError(.conflict, "a unique value is already taken", underlying: error)
        case "23503":
            return StorageError(.notFound, "a row this operation refers to does not exist", underlying: error)
        case "42P01", "42703", "42883":
            return StorageError(
                .schemaMismatch, "the database schema is not at the expected revision; run `tmwsctl migrate up`", underlying: error)
        case "40001", "40P01", "55P03", "57014":
            return StorageError(.unavailable, "PostgreSQL gave up on the transaction (SQLSTATE \(state)); retry", underlying: error)
        case "28000", "28P01":
            return StorageError(.unavailable, "PostgreSQL refused the credentials (SQLSTATE \(state))", underlying: error)
        case "3D000":
            return StorageError(.unavailable, "the PostgreSQL database does not exist (SQLSTATE 3D000)", underlying: error)
        case "XX001", "XX002":
            return StorageError(.corrupt, "PostgreSQL reports damaged data (SQLSTATE \(state))", underlying: error)
        default:
            break
        }
        switch state.prefix(2) {
        case "08", "53", "57", "58", "25":
            return StorageError(.unavailable, "PostgreSQL cannot serve the request now (SQLSTATE \(state))", underlying: error)
        case "22":
            return StorageError(.invalidArgument, "PostgreSQL rejected a value (SQLSTATE \(state))", underlying: error)
        default:
            return StorageError(.internalError, "PostgreSQL failed (SQLSTATE \(state))", underlying: error)
        }
    }

    /// Whether running the transaction again may succeed: a serialization failure or a deadlock.
    static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? PostgresTransactionError {
            return (error.beginError ?? error.closureError ?? error.commitError).map(isRetryable) ?? false
        }
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}
