import Foundation

#if canImport(Glibc)
import Glibc

/// A size-limited `tmpfs` mounted on a new temporary directory and unmounted when released: a real
/// filesystem that fills up, for the tests of what a full disk does. Mounting needs root (CI runs
/// as root); check ``isAvailable`` first.
public final class TmpfsMount: Sendable {
    /// The mount point.
    public let path: String
    private var fillerPath: String { path + "/filler" }

    /// Whether this process may mount filesystems.
    public static var isAvailable: Bool { getuid() == 0 }

    /// Mounts a tmpfs of `kibibytes` KiB, owner-only.
    public init(kibibytes: Int) throws {
        path = FileManager.default.temporaryDirectory.path + "/tmws-tmpfs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(kibibytes)k,mode=0700") == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: path)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EPERM)
        }
    }

    deinit {
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    /// Fills the filesystem to the last byte with a file of its own (written in shrinking chunks
    /// until even one byte no longer fits); returns how many bytes it took.
    @discardableResult
    public func fill() throws -> Int {
        let fd = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5A, count: 1 << 16)
        var size = chunk.count
        var written = 0
        while size > 0 {
            let result = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
            if result > 0 {
                written += result
            } else if errno == ENOSPC || result == 0 {
                size /= 2
            } else if errno != EINTR {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        }
        return written
    }

    /// Removes the file ``fill()`` wrote, giving its space back.
    public func free() {
        unlink(fillerPath)
    }
}
#endif
