import GRDB

extension SQLiteStore: DeploymentRecords {
    public func deploymentRecord(_ name: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM tmws_deployment WHERE name = ?", arguments: [name]) }
    }

    public func recordIfAbsent(_ name: String, value: String) async throws -> String {
        try Self.checkRecordName(name)
        return try await write { db, now in
            try db.execute(
                sql: "INSERT INTO tmws_deployment (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [name, value, now.sqlText])
            return try String.fetchOne(db, sql: "SELECT value FROM tmws_deployment WHERE name = ?", arguments: [name]) ?? value
        }
    }
}
