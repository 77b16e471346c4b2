import Foundation
import TMWSStorage

/// Files only their owner may read (mode 0600): API keys and signing secrets.
///
/// Both ways of writing one guard against what another local user could plant:
/// - ``replace(_:at:)`` writes to a temporary file created exclusively (`O_EXCL | O_NOFOLLOW`) under
///   an unpredictable name in the target's directory, syncs it and renames it over the target. A
///   file or symbolic link planted under any name is never followed or reused, and the target is
///   never seen half-written.
/// - ``create(_:at:)`` creates the target itself exclusively and never replaces anything.
///
/// Both refuse a directory that every user may write to, unless it is sticky and owned by the
/// caller (in a shared directory such as `/tmp`, someone else can remove or rename what we
/// write). A directory that does not exist is created with mode 0700.
enum OwnerOnlyFile {
    /// Writes `text` to `path`, replacing an existing file atomically.
    static func replace(_ text: String, at path: String) throws(ConfigurationError) {
        let (directory, name) = try prepareDirectory(of: path)
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temporary = directory + "/." + name + "." + String(UInt64.random(in: .min ... .max), radix: 16) + ".tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw ConfigurationError(.fileAccess, "cannot create a temporary file in \(directory): \(systemMessage())")
        }
        try fill(fd, with: text, path: path, removingOnFailure: temporary)
        guard rename(temporary, path) == 0 else {
            let message = systemMessage()
            unlink(temporary)
            throw ConfigurationError(.fileAccess, "cannot write \(path): \(message)")
        }
        syncDirectory(directory)
    }

    /// Creates `path` holding `text`; fails when anything (a file, a link) is already there.
    static func create(_ text: String, at path: String) throws(ConfigurationError) {
        let (directory, _) = try prepareDirectory(of: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfigurationError(.fileAccess, "cannot create \(path): \(systemMessage())") }
        try fill(fd, with: text, path: path, removingOnFailure: path)
        syncDirectory(directory)
    }

    /// The target's directory (created 0700 when missing, refused when others may write to it)
    /// and the target's file name.
    private static func prepareDirectory(of path: String) throws(ConfigurationError) -> (directory: String, name: String) {
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        let name = (path as NSString).lastPathComponent
        guard !name.isEmpty, name != ".", name != ".." else {
            throw ConfigurationError(.fileAccess, "\(path) does not name a file")
        }
        if !FileManager.default.fileExists(atPath: directory), let problem = Directories.create(directory) {
            throw ConfigurationError(.fileAccess, "\(problem) (for \(path))")
        }
        guard let othersMayWrite = Directories.othersMayWrite(directory) else {
            throw ConfigurationError(.fileAccess, "cannot use the directory \(directory) for \(path): \(systemMessage())")
        }
        if othersMayWrite {
            throw ConfigurationError(
                .fileAccess,
                "refusing to write \(path): every user may write to its directory \(directory); "
                    + "choose a private directory (or run `chmod o-w \(directory)`)")
        }
        return (directory, name)
    }

    /// Writes `text` to the new file `fd` (``write(_:to:path:)``) and closes it; when writing fails,
    /// the half-written `file` is removed.
    private static func fill(_ fd: Int32, with text: String, path: String, removingOnFailure file: String) throws(ConfigurationError) {
        defer { close(fd) }
        do throws(ConfigurationError) {
            try write(text, to: fd, path: path)
        } catch {
            unlink(file)
            throw error
        }
    }

    /// Writes all of `text`, makes the mode exactly 0600 (whatever the umask) and syncs.
    private static func write(_ text: String, to fd: Int32, path: String) throws(ConfigurationError) {
        guard fchmod(fd, 0o600) == 0 else { throw ConfigurationError(.fileAccess, "cannot set the mode of \(path): \(systemMessage())") }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw ConfigurationError(.fileAccess, "cannot write \(path): \(systemMessage())") }
            offset += written
        }
        guard fsync(fd) == 0 else { throw ConfigurationError(.fileAccess, "cannot write \(path): \(systemMessage())") }
    }

    /// Makes a rename or a creation in `directory` durable; best effort.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The system's message for `errno`, e.g. "Permission denied".
    private static func systemMessage() -> String { String(cString: strerror(errno)) }
}
