import TMWSStoragePostgres

/// Text for the PostgreSQL tools (pg_dump, pg_restore, psql) that tmwsctl points operators to.
enum PostgresCommands {
    /// A libpq connection URL for the configured database, without the password and without the
    /// parameters only TMWS understands (`pool_size`).
    static func connectionURL(_ url: String) -> String {
        guard let configuration = try? PostgresStore.Configuration(url: url) else { return "postgres://USER@HOST:PORT/DATABASE" }
        var text = "postgresql://" + configuration.username + "@"
        if !configuration.host.hasPrefix("/") { text += configuration.host + ":\(configuration.port)" }
        text += "/" + (configuration.database ?? configuration.username)
        var parameters: [String] = []
        if configuration.host.hasPrefix("/") { parameters.append("host=\(configuration.host)") }
        if configuration.tls != .prefer { parameters.append("sslmode=\(configuration.tls.rawValue)") }
        if let schema = configuration.schema { parameters.append("options=-csearch_path%3D\(schema)") }
        return parameters.isEmpty ? text : text + "?" + parameters.joined(separator: "&")
    }
}
