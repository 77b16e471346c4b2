import Foundation

/// Creating a directory and its missing parents with `mkdir(2)`, so that a failure names the
/// directory that could not be made and the system's reason ("Permission denied", "Not a
/// directory"), where Foundation's error says only "The operation could not be completed".
package enum Directories {
    /// Creates `path` and any missing parent with `mode`.
    /// - Returns: `nil` on success, else why, e.g. "cannot create the directory /srv/x: Permission denied".
    package static func create(_ path: String, mode: mode_t = 0o700) -> String? {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            built += "/" + component
            if mkdir(built, mode) == 0 || errno == EEXIST {
                var info = stat()
                if stat(built, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
                return "cannot create the directory \(built): \(String(cString: strerror(ENOTDIR)))"
            }
            return "cannot create the directory \(built): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// Whether every user may write into the directory at `path` (unless it is sticky and owned by
    /// the caller, like a private `/tmp` of one's own): where an owner-only file must not be written.
    /// - Returns: `nil` when the directory cannot be examined (the system's reason is in `errno`).
    package static func othersMayWrite(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let othersMayWrite = info.st_mode & S_IWOTH != 0
        let stickyAndOurs = info.st_mode & S_ISVTX != 0 && info.st_uid == geteuid()
        return othersMayWrite && !stickyAndOurs
    }
}
