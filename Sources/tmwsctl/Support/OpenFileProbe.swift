import Foundation

/// Which other processes have a file open, read from `/proc` (Linux): what `tmwsctl migrate down`
/// warns about before it changes the schema under a running server. Processes of other users are
/// not visible unless we run as root; elsewhere than Linux nothing is found.
enum OpenFileProbe {
    struct Holder: Sendable, Equatable {
        let pid: Int32
        /// The process's command name (`/proc/PID/comm`), e.g. `mcp-server`.
        let command: String
    }

    /// The processes other than this one holding `path` (the database, its `-wal` or `-shm` file) open.
    static func holders(of path: String) -> [Holder] {
        let files = FileManager.default
        let target = (path as NSString).resolvingSymlinksInPath
        let watched: Set<String> = [target, target + "-wal", target + "-shm"]
        guard let entries = try? files.contentsOfDirectory(atPath: "/proc") else { return [] }
        let own = getpid()
        var found: [Holder] = []
        for entry in entries {
            guard let pid = Int32(entry), pid != own,
                let descriptors = try? files.contentsOfDirectory(atPath: "/proc/\(entry)/fd")
            else { continue }
            let holds = descriptors.contains { descriptor in
                (try? files.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(descriptor)")).map(watched.contains) == true
            }
            guard holds else { continue }
            let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8)
            let command = comm?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            found.append(Holder(pid: pid, command: command))
        }
        return found.sorted { $0.pid < $1.pid }
    }
}
