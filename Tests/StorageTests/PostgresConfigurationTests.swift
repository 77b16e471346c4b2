import Foundation
import TMWSStorage
import TMWSStoragePostgres
import Testing

/// Parsing of PostgreSQL URLs: pure, no server needed.
@Suite struct PostgresConfigurationTests {
    @Test func fullURL() throws {
        let configuration = try PostgresStore.Configuration(
            url: "postgresql://tmws:s%40cret@db.example.com:6543/licenses?sslmode=verify-full&pool_size=25&connect_timeout=3&search_path=tmws")
        #expect(configuration.host == "db.example.com")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "tmws")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "licenses")
        #expect(configuration.tls == .verifyFull)
        #expect(configuration.poolSize == 25)
        #expect(configuration.connectTimeout == .seconds(3))
        #expect(configuration.schema == "tmws")
    }

    @Test func defaults() throws {
        let configuration = try PostgresStore.Configuration(url: "postgres://alice@localhost/tmws")
        #expect(configuration.port == 5432)
        #expect(configuration.password == nil)
        #expect(configuration.tls == .prefer)
        #expect(configuration.poolSize == PostgresStore.Configuration.defaultPoolSize)
        #expect(configuration.schema == nil)
    }

    @Test func unixSocketDirectory() throws {
        let configuration = try PostgresStore.Configuration(url: "postgres://alice@/tmws?host=/var/run/postgresql")
        #expect(configuration.host == "/var/run/postgresql")
        #expect(configuration.database == "tmws")
    }

    @Test(arguments: [
        "mysql://u@h/db", "postgres://u@h/db?sslmode=sometimes", "postgres://u@h/db?pool_size=0",
        "postgres://u@h/db?pool_size=many", "postgres://u@h/db?connect_timeout=0", "postgres://u@h/db?search_path=a;drop",
        "postgres://u@h/db?host=relative", "postgres://u@h/db?unknown=1", "postgres://u@h/a/b",
    ])
    func rejected(_ url: String) {
        #expect(throws: StorageError.self) { try PostgresStore.Configuration(url: url) }
        do {
            _ = try PostgresStore.Configuration(url: url)
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func passwordNeverInDescriptions() throws {
        let url = "postgres://tmws:hunter2-secret@db:5432/tmws"
        let configuration = try PostgresStore.Configuration(url: url)
        #expect(!configuration.description.contains("hunter2"))
        #expect(configuration.description.contains(":***@"))
        let location = try DatabaseLocation(parsing: url)
        #expect(location == .postgres(url: url))
        #expect(!location.description.contains("hunter2"))
        #expect(!String(describing: location).contains("hunter2"))
        #expect(!String(reflecting: location).contains("hunter2"))
        #expect(try DatabaseLocation(parsing: "postgresql://u:p@ss@h/db").description == "postgresql://u:***@h/db")
        do {
            _ = try PostgresStore.Configuration(url: "postgres://tmws:hunter2-secret@db/tmws?sslmode=bogus")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
