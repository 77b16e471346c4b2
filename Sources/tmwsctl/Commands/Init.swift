import ArgumentParser
import Foundation
import TMWS
import TMWSLicenseCore
import TMWSStorage

/// `tmwsctl init`: the server's first-run bootstrap.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the database at head, the signing secret and the admin agent with its API key.",
        discussion: """
            The admin's API key is written to an owner-only file whose path is printed; the key itself is never printed.
            With a postgres:// URL, the schema is created in that database, TMWS_SECRET_KEY or TMWS_SECRET_KEY_FILE must be
            set (to the secret every server uses), and the key goes to ~/.tmws/data/admin-postgres.key.
            On an existing database at head, init changes nothing unless no active admin agent remains (as after the
            RBAC migration, which makes every agent a viewer): then the bootstrap `admin` agent gets the admin role back.
            """)

    @OptionGroup var global: GlobalOptions

    func validate() throws { try global.refuseAgent() }

    struct Result: Encodable {
        var database: String
        var created: Bool
        var revision: String
        var adminAgent: String?
        var adminKeyFile: String?
        var secretFile: String?
        var adminRestored: Bool?
    }

    func run() async throws {
        let options = try global.deploymentOptions(createIfMissing: true)
        let path = options.location.description
        try await Deployment.withOpened(options) { deployment in
            let bootstrap = deployment.bootstrap
            let result = Result(
                database: path, created: bootstrap != nil, revision: SchemaRevision.head,
                adminAgent: bootstrap?.admin.name, adminKeyFile: bootstrap?.adminKeyFile,
                secretFile: bootstrap?.createdSecretFile)
            guard let bootstrap else {
                let recovery = try await deployment.ensureBootstrapAdmin(keyFile: options.adminKeyFile ?? Deployment.adminKeyFile(for: options.location))
                if global.json {
                    return try JSONOutput.print(
                        Result(
                            database: path, created: false, revision: SchemaRevision.head, adminAgent: recovery.admin.name,
                            adminKeyFile: recovery.keyFile, secretFile: nil, adminRestored: recovery.created || recovery.restored))
                }
                if recovery.created || recovery.restored {
                    Console.out(
                        "no active admin agent remained; '\(recovery.admin.name)' \(recovery.created ? "created" : "given back") the admin role (audited)")
                    if let file = recovery.keyFile { Console.out("its new API key was written to \(file) (owner-only)") }
                } else {
                    Console.out("\(path) is already initialised (revision \(SchemaRevision.head) (head)); nothing changed")
                }
                return
            }
            if global.json { return try JSONOutput.print(result) }
            Console.out("created \(path) at revision \(SchemaRevision.head) (head)")
            if let secret = bootstrap.createdSecretFile { Console.out("signing secret: \(secret) (owner-only; back it up)") }
            Console.out("agent '\(bootstrap.admin.name)' (admin) created; API key written to \(bootstrap.adminKeyFile) (owner-only)")
        }
    }
}
