import PostgresNIO
import TMWSStorage

extension PostgresStore: DeploymentRecords {
    public func deploymentRecord(_ name: String) async throws -> String? {
        try await run { connection in
            try await self.fetchOne(connection, "SELECT value FROM tmws_deployment WHERE name = \(name)") { try $0.next(String.self) }
        }
    }

    public func recordIfAbsent(_ name: String, value: String) async throws -> String {
        try Self.checkRecordName(name)
        return try await transaction { connection in
            let now = try await self.now(connection)
            try await self.execute(
                connection,
                """
                INSERT INTO tmws_deployment (name, value, created_at) VALUES (\(name), \(value), \(now.postgres))
                ON CONFLICT (name) DO NOTHING
                """)
            return try await self.fetchOne(connection, "SELECT value FROM tmws_deployment WHERE name = \(name)") {
                try $0.next(String.self)
            } ?? value
        }
    }
}
