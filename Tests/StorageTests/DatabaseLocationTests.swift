import Foundation
import Testing

@testable import TMWSStorage

/// The database locations a deployment is configured with: the accepted forms, and typos of a
/// SQLite URL refused instead of read as a path (#15, item 1).
@Suite struct DatabaseLocationTests {
    @Test func theAcceptedForms() throws {
        #expect(try DatabaseLocation(parsing: "sqlite:////var/lib/tmws/tmws.db") == .sqliteFile(path: "/var/lib/tmws/tmws.db"))
        #expect(try DatabaseLocation(parsing: "sqlite+aiosqlite:////var/lib/tmws/tmws.db") == .sqliteFile(path: "/var/lib/tmws/tmws.db"))
        #expect(try DatabaseLocation(parsing: "sqlite:///data/tmws.db") == .sqliteFile(path: "data/tmws.db"))
        #expect(try DatabaseLocation(parsing: "/var/lib/tmws/tmws.db") == .sqliteFile(path: "/var/lib/tmws/tmws.db"))
        #expect(try DatabaseLocation(parsing: ":memory:") == .memory)
        #expect(try DatabaseLocation(parsing: "sqlite:///:memory:") == .memory)
        #expect(try DatabaseLocation(parsing: "postgres://h/db") == .postgres(url: "postgres://h/db"))
    }

    @Test(arguments: ["sqlite:/tmp/u4/tmws.db", "sqlite://tmp/x.db", "sqlite:tmws.db", "SQLite:///x.db", "sqlite+aiosqlite:/x.db", "sqlite"])
    func aMistypedSQLiteURLIsRefusedWithTheAcceptedForms(_ value: String) throws {
        let error = #expect(throws: StorageError.self) { try DatabaseLocation(parsing: value) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("sqlite:////ABSOLUTE/PATH (four slashes)") == true, "\(error?.message ?? "")")
    }

    @Test func theDefaultAndRelativePathsAreNamedAsSuch() throws {
        #expect(DatabaseLocation.sqliteFile(path: DatabaseLocation.defaultPath).isDefault)
        #expect(!DatabaseLocation.sqliteFile(path: "/tmp/other.db").isDefault)
        let relative = try DatabaseLocation(parsing: "sqlite:///home/me/.tmws/data/tmws.db")
        #expect(relative.logDescription.contains("home/me/.tmws/data/tmws.db (a relative path, under the working directory"))
        #expect(DatabaseLocation.postgres(url: "postgres://u:secret@h/db").logDescription == "postgres://u:***@h/db (PostgreSQL)")
    }
}
