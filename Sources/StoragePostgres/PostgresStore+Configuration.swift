import Foundation
import PostgresNIO
import TMWSStorage

extension PostgresStore {
    /// Where and how a ``PostgresStore`` connects.
    ///
    /// Usually made from a URL (``init(url:)``):
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=prefer&pool_size=10`.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// How the connection uses TLS; the names and meanings are libpq's `sslmode`.
        public enum TLSMode: String, Sendable, Hashable, CaseIterable {
            /// Plain TCP only.
            case disable
            /// TLS when the server offers it, without certificate checks; plain TCP otherwise (libpq's default).
            case prefer
            /// TLS always, without certificate checks.
            case require
            /// TLS always; the certificate must chain to a trusted root.
            case verifyCA = "verify-ca"
            /// TLS always; the certificate must chain to a trusted root and name the host.
            case verifyFull = "verify-full"
        }

        /// The server's host name or address, or a directory holding its Unix socket (starts with `/`).
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        /// The database; `nil` means the server's default (the user name).
        public var database: String?
        public var tls: TLSMode
        /// The most connections the pool opens (postgres-nio's `maximumConnections`).
        public var poolSize: Int
        public var connectTimeout: Duration
        /// The schema the tables live in (sets `search_path`); `nil` uses the server's default (`public`).
        public var schema: String?

        /// The default pool size.
        public static let defaultPoolSize = 10

        public init(
            host: String = "localhost", port: Int = 5432, username: String, password: String? = nil, database: String? = nil,
            tls: TLSMode = .prefer, poolSize: Int = Self.defaultPoolSize, connectTimeout: Duration = .seconds(10),
            schema: String? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.tls = tls
            self.poolSize = poolSize
            self.connectTimeout = connectTimeout
            self.schema = schema
        }

        /// Parses a `postgres://` or `postgresql://` URL.
        ///
        /// User, password and database are percent-decoded. Query parameters: `sslmode`
        /// (disable, prefer — the default —, require, verify-ca, verify-full), `pool_size` (1…1000,
        /// default 10), `connect_timeout` (seconds, 1…300), `search_path` (the schema), and `host`
        /// (a Unix socket directory, as libpq accepts). Without a user, `$USER` is used, as libpq does.
        /// - Throws: `StorageError` `invalidArgument` naming what is wrong — never the password.
        public init(url: String) throws(StorageError) {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
                let components = URLComponents(string: url)
            else {
                throw StorageError(.invalidArgument, "not a PostgreSQL URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
            }
            let environmentUser = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 }
            guard let username = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }) ?? environmentUser,
                !username.isEmpty
            else {
                throw StorageError(.invalidArgument, "the PostgreSQL URL names no user, and $USER is not set")
            }
            let path = components.percentEncodedPath
            let database = path.count > 1 ? String(path.dropFirst()).removingPercentEncoding : nil
            if let database, database.contains("/") || database.isEmpty {
                throw StorageError(.invalidArgument, "the PostgreSQL URL's path must be one database name")
            }
            self.init(
                host: components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost", port: components.port ?? 5432,
                username: username, password: components.percentEncodedPassword?.removingPercentEncoding, database: database)
            for item in components.queryItems ?? [] {
                let value = item.value ?? ""
                switch item.name {
                case "sslmode":
                    guard let mode = TLSMode(rawValue: value) else {
                        throw StorageError(
                            .invalidArgument,
                            "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value.prefix(32))'")
                    }
                    tls = mode
                case "pool_size":
                    guard let size = Int(value), (1...1000).contains(size) else {
                        throw StorageError(.invalidArgument, "pool_size must be a whole number from 1 to 1000")
                    }
                    poolSize = size
                case "connect_timeout":
                    guard let seconds = Int(value), (1...300).contains(seconds) else {
                        throw StorageError(.invalidArgument, "connect_timeout must be a whole number of seconds from 1 to 300")
                    }
                    connectTimeout = .seconds(seconds)
                case "search_path":
                    guard Self.isPlainIdentifier(value) else {
                        throw StorageError(.invalidArgument, "search_path must be one schema name (letters, digits, underscore)")
                    }
                    schema = value
                case "host":
                    guard value.hasPrefix("/") else {
                        throw StorageError(.invalidArgument, "the host parameter must be a Unix socket directory (starting with /)")
                    }
                    host = value
                case "application_name":
                    continue
                default:
                    throw StorageError(
                        .invalidArgument,
                        "unknown PostgreSQL URL parameter '\(item.name.prefix(32))'; known: sslmode, pool_size, connect_timeout, search_path, host")
                }
            }
        }

        /// The URL form, with the password replaced by `***`.
        public var description: String {
            var text = "postgres://" + username + (password == nil ? "" : ":***") + "@"
            text += host.hasPrefix("/") ? "" : host + ":\(port)"
            text += "/" + (database ?? "")
            var parameters = ["sslmode=\(tls.rawValue)", "pool_size=\(poolSize)"]
            if host.hasPrefix("/") { parameters.append("host=\(host)") }
            if let schema { parameters.append("search_path=\(schema)") }
            return text + "?" + parameters.joined(separator: "&")
        }

        static func isPlainIdentifier(_ name: String) -> Bool {
            guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), name.utf8.count <= 63 else {
                return false
            }
            return name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_")
            }
        }

        /// The TLS settings of `sslmode`, or `nil` for `disable`.
        var tlsConfiguration: TLSConfiguration? {
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch tls {
            case .disable: return nil
            case .prefer, .require: configuration.certificateVerification = .none
            case .verifyCA: configuration.certificateVerification = .noHostnameVerification
            case .verifyFull: break
            }
            return configuration
        }

        var startupParameters: [(String, String)] {
            var parameters = [("application_name", "tmws")]
            if let schema { parameters.append(("search_path", schema)) }
            return parameters
        }

        var unixSocketPath: String? { host.hasPrefix("/") ? host + "/.s.PGSQL.\(port)" : nil }

        var clientConfiguration: PostgresClient.Configuration {
            var configuration: PostgresClient.Configuration
            if let unixSocketPath {
                configuration = PostgresClient.Configuration(
                    unixSocketPath: unixSocketPath, username: username, password: password, database: database)
            } else {
                let clientTLS: PostgresClient.Configuration.TLS =
                    switch (tls, tlsConfiguration) {
                    case (_, nil): .disable
                    case (.prefer, let tlsConfiguration?): .prefer(tlsConfiguration)
                    case (_, let tlsConfiguration?): .require(tlsConfiguration)
                    }
                configuration = PostgresClient.Configuration(
                    host: host, port: port, username: username, password: password, database: database, tls: clientTLS)
            }
            configuration.options.maximumConnections = poolSize
            configuration.options.connectTimeout = connectTimeout
            configuration.options.additionalStartupParameters = startupParameters
            return configuration
        }

        /// The same settings for a single connection (``PostgresStore/checkConnection()``).
        func connectionConfiguration() throws -> PostgresConnection.Configuration {
            var configuration: PostgresConnection.Configuration
            if let unixSocketPath {
                configuration = PostgresConnection.Configuration(
                    unixSocketPath: unixSocketPath, username: username, password: password, database: database)
            } else {
                let connectionTLS: PostgresConnection.Configuration.TLS =
                    switch (tls, tlsConfiguration) {
                    case (_, nil): .disable
                    case (.prefer, let tlsConfiguration?): .prefer(try NIOSSLContext(configuration: tlsConfiguration))
                    case (_, let tlsConfiguration?): .require(try NIOSSLContext(configuration: tlsConfiguration))
                    }
                configuration = PostgresConnection.Configuration(
                    host: host, port: port, username: username, password: password, database: database, tls: connectionTLS)
            }
            let timeout = connectTimeout.components
            configuration.options.connectTimeout = .milliseconds(timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000)
            configuration.options.additionalStartupParameters = startupParameters
            return configuration
        }
    }
}
