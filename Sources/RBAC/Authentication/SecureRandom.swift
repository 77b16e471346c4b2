/// A source of cryptographically secure random bytes, injected so that tests can be deterministic.
public protocol SecureRandom: Sendable {
    /// `count` random bytes.
    func bytes(_ count: Int) -> [UInt8]
}

/// The operating system's CSPRNG (`getrandom(2)` on Linux, `arc4random` on Apple platforms),
/// through Swift's `SystemRandomNumberGenerator`.
public struct SystemSecureRandom: SecureRandom {
    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var result = [UInt8]()
        result.reserveCapacity(count + 8)
        while result.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { result.append(contentsOf: $0) }
        }
        return Array(result.prefix(count))
    }
}
