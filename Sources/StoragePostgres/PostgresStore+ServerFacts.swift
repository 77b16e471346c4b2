import Foundation
import PostgresNIO
import TMWSStorage

extension PostgresStore {
    /// What `tmwsctl doctor` checks about the server: its version, its connection limit and its clock.
    public struct ServerFacts: Sendable, Hashable {
        /// `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
        public let version: String
        /// The major version (`server_version_num / 10000`).
        public let majorVersion: Int
        /// `max_connections`: the connections the server allows in all.
        public let maxConnections: Int
        /// The connections each process of ours opens at most (`pool_size`).
        public let poolSize: Int
        /// The server's clock (`now()`), read in the same query.
        public let now: Date
    }

    /// Reads ``ServerFacts`` in one query.
    /// - Throws: `StorageError` `unavailable` when the server cannot be reached.
    public func serverFacts() async throws -> ServerFacts {
        let sql: PostgresQuery = """
            SELECT current_setting('server_version'), current_setting('server_version_num')::int,
                   current_setting('max_connections')::int, extract(epoch FROM now())::float8
            """
        let row = try await run { connection in
            try await connection.query(sql, logger: self.logger).collect().first
        }
        guard let row else { throw StorageError(.unavailable, "PostgreSQL returned no row for its settings") }
        do {
            let (version, number, maxConnections, epoch) = try row.decode((String, Int, Int, Double).self)
            return ServerFacts(
                version: version, majorVersion: number / 10_000, maxConnections: maxConnections, poolSize: configuration.poolSize,
                now: Date(timeIntervalSince1970: epoch))
        } catch {
            throw StorageError(.corrupt, "PostgreSQL's settings did not decode: \(String(reflecting: error).prefix(200))")
        }
    }
}
