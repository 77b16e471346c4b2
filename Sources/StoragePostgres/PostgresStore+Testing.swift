import PostgresNIO
import TMWSStorage

extension PostgresStore {
    /// Runs one SQL statement as given (for this package's test support: creating and dropping schemas).
    package func executeForTesting(_ sql: String) async throws {
        try await run { connection in try await self.execute(connection, PostgresQuery(unsafeSQL: sql)) }
    }

    /// The schemas whose names start with `prefix`.
    package func schemaNamesForTesting(prefix: String) async throws -> [String] {
        try await run { connection in
            try await self.fetch(
                connection, "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, \(prefix))"
            ) { try $0.next(String.self) }
        }
    }
}

extension PostgresStore {
    /// Runs a query as given and returns each row as a JSON object text (`row_to_json`), for
    /// tests that check SQL written for operators.
    package func jsonRowsForTesting(_ sql: String) async throws -> [String] {
        try await run { connection in
            try await self.fetch(connection, PostgresQuery(unsafeSQL: "SELECT row_to_json(q)::text FROM (\(sql)) AS q")) {
                try $0.next(String.self)
            }
        }
    }
}
