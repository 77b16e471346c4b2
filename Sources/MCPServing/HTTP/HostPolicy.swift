import Foundation

/// The `Host` and `Origin` check against DNS rebinding (Streamable HTTP "Security"): loopback
/// names by default, plus configured hosts; `*` turns the check off.
public struct HostPolicy: Sendable {
    /// Hosts allowed on any port, lowercased, IPv6 without brackets.
    private let anyPort: Set<String>
    /// `host:port` pairs allowed exactly, lowercased.
    private let exact: Set<String>
    private let disabled: Bool

    /// - Parameter extraHosts: `HOST` (any port) or `HOST:PORT`; `*` disables the check.
    public init(extraHosts: [String] = []) {
        disabled = extraHosts.contains("*")
        var anyPort: Set<String> = ["localhost", "127.0.0.1", "::1"]
        var exact: Set<String> = []
        for host in extraHosts where host != "*" {
            let (name, port) = Self.split(host.lowercased())
            if let port { exact.insert("\(name):\(port)") } else { anyPort.insert(name) }
        }
        self.anyPort = anyPort
        self.exact = exact
    }

    /// Whether a request with this `Host` (authority) and `Origin` may be served.
    public func allows(host: String?, origin: String?) -> Bool {
        if disabled { return true }
        guard let host, allows(authority: host) else { return false }
        guard let origin else { return true }
        guard let range = origin.range(of: "://"), ["http", "https"].contains(origin[..<range.lowerBound].lowercased()) else {
            return false
        }
        let authority = origin[range.upperBound...]
        guard !authority.contains("/"), !authority.contains("@") else { return false }
        return allows(authority: String(authority))
    }

    private func allows(authority: String) -> Bool {
        let (name, port) = Self.split(authority.lowercased())
        if anyPort.contains(name) { return true }
        guard let port else { return false }
        return exact.contains("\(name):\(port)")
    }

    /// `name[:port]` or `[v6][:port]` → (name without brackets, port).
    static func split(_ authority: String) -> (String, Int?) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let name = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            return (name, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return (String(authority[..<colon]), Int(authority[authority.index(after: colon)...]))
        }
        return (authority, nil)
    }
}
