import Foundation
import TMWSLicenseCore
import TMWSTestSupport
import Testing

/// Owner-only files (API keys, the signing secret) against what another local user could plant:
/// files and symbolic links under the names we write through, and shared directories (#15, item 11).
@Suite struct OwnerOnlyFileTests {
    let directory: TemporaryDirectory
    var target: String { directory.path + "/admin.key" }

    init() throws {
        directory = try TemporaryDirectory()
    }

    static func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func entries() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
    }

    /// The names the writer used before (`PATH.tmp-<pid>`) are predictable: a link planted there
    /// made us write the key into the link's target, and a planted 0666 file kept its mode.
    @Test func plantedLinksAndFilesAtTemporaryNamesAreNeitherFollowedNorReused() throws {
        let victim = directory.path + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let planted = target + ".tmp-\(getpid())"
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim)

        try Deployment.writeOwnerOnly("tmws_secret_key\n", to: target)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n", "the link's target is untouched")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "tmws_secret_key\n")
        #expect(try Self.mode(target) == 0o600)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: planted) == victim, "the planted link is left as it was")

        // A world-writable file planted at the target itself is replaced, not written through.
        try FileManager.default.removeItem(atPath: target)
        #expect(FileManager.default.createFile(atPath: target, contents: Data("old".utf8), attributes: [.posixPermissions: 0o666]))
        try Deployment.writeOwnerOnly("tmws_other_key\n", to: target)
        #expect(try Self.mode(target) == 0o600)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "tmws_other_key\n")
        #expect(try entries() == ["victim", "admin.key", "admin.key.tmp-\(getpid())"], "no temporary file is left behind")
    }

    @Test func aLinkAtTheTargetIsReplacedNotFollowed() throws {
        let victim = directory.path + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: victim)
        try Deployment.writeOwnerOnly("tmws_secret_key\n", to: target)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target)) == nil, "the target is a file now")
        #expect(try Self.mode(target) == 0o600)
    }

    @Test func aDirectoryEveryoneMayWriteToIsRefusedUnlessStickyAndOurs() throws {
        let shared = directory.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        chmod(shared, 0o777)
        let error = #expect(throws: ConfigurationError.self) { try Deployment.writeOwnerOnly("k\n", to: shared + "/admin.key") }
        #expect(error?.code == .fileAccess)
        #expect(error?.message.contains("every user may write to its directory \(shared)") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared).isEmpty, "nothing is written")

        // Sticky and owned by the caller: others cannot remove or rename what is in it.
        chmod(shared, 0o1777)
        try Deployment.writeOwnerOnly("k\n", to: shared + "/admin.key")
        #expect(try Self.mode(shared + "/admin.key") == 0o600)
    }

    @Test func aMissingDirectoryIsCreatedPrivate() throws {
        let nested = directory.path + "/a/b/admin.key"
        try Deployment.writeOwnerOnly("k\n", to: nested)
        #expect(try Self.mode(directory.path + "/a/b") == 0o700)
        #expect(try Self.mode(nested) == 0o600)
    }

    /// A directory that cannot be made is named, with the system's reason (#15, item 6: it was
    /// "The operation could not be completed", or a bare errno naming another file).
    @Test func aDirectoryThatCannotBeMadeIsNamedWithTheReason() throws {
        let plain = directory.path + "/plain"
        #expect(FileManager.default.createFile(atPath: plain, contents: Data()))
        let error = #expect(throws: ConfigurationError.self) { try Deployment.writeOwnerOnly("k\n", to: plain + "/data/admin.key") }
        #expect(error?.message == "cannot create the directory \(plain): Not a directory (for \(plain)/data/admin.key)")
    }

    /// The signing secret is created, never replaced: a planted file or link at its path is refused.
    @Test func theSecretFileIsCreatedExclusively() throws {
        let path = directory.path + "/secret"
        let victim = directory.path + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim)
        let error = #expect(throws: ConfigurationError.self) {
            try SigningSecret.createFile(at: path, randomBytes: Array(repeating: 7, count: 48))
        }
        #expect(error?.code == .fileAccess)
        #expect(error?.message.contains("File exists") == true)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")

        try FileManager.default.removeItem(atPath: path)
        _ = try SigningSecret.createFile(at: path, randomBytes: Array(repeating: 7, count: 48))
        #expect(try Self.mode(path) == 0o600)
        #expect(try SigningSecret.load(fromFile: path).description == "SigningSecret(redacted)")
    }
}
