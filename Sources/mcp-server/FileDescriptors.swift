import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the HTTP server's connection limit below the process's file-descriptor limit, so that
/// it stops accepting before `accept(2)` could fail with EMFILE.
enum FileDescriptors {
    /// Descriptors kept free for the database, logs and the listening socket.
    static let reserve = 64

    /// Raises the soft descriptor limit to the hard one, and returns `requested` lowered to fit under it.
    static func connectionLimit(_ requested: Int, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return requested }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let available = Int(clamping: limit.rlim_cur) - reserve
        guard available < requested else { return requested }
        let lowered = max(1, available)
        logger.notice("connection limit lowered to fit the file-descriptor limit", metadata: ["max-connections": "\(lowered)"])
        return lowered
    }
}
