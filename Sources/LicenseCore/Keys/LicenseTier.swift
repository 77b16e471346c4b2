/// A license tier, as written in keys and stored in `license_keys.tier`.
public enum LicenseTier: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case free = "FREE"
    case pro = "PRO"
    case enterprise = "ENTERPRISE"

    /// Parses a tier: exact uppercase (`PRO`), as in keys.
    public init?(parsing text: some StringProtocol) {
        switch text {
        case "FREE": self = .free
        case "PRO": self = .pro
        case "ENTERPRISE": self = .enterprise
        default: return nil
        }
    }

    public var description: String { rawValue }
}
