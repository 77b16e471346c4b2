/// How both faces (MCP tool arguments and `tmwsctl` options) read an enumerated word such as a
/// tier, a status or a role: ASCII letters in any case, nothing else folded. `pro`, `Pro` and
/// `PRO` name `PRO`; a look-alike (`ＰＲＯ`, the Kelvin sign `K`) names nothing. Output always uses
/// the canonical spelling.
public enum InputName {
    /// The one of `names` that `text` spells, ignoring the case of ASCII letters; `nil` when none does.
    public static func match(_ text: some StringProtocol, among names: some Sequence<String>) -> String? {
        names.first { name in
            name.utf8.count == text.utf8.count && name.utf8.elementsEqual(text.utf8) { folded($0) == folded($1) }
        }
    }

    private static func folded(_ byte: UInt8) -> UInt8 {
        (0x41...0x5a).contains(byte) ? byte | 0x20 : byte
    }
}

extension RawRepresentable where Self: CaseIterable, RawValue == String {
    /// The case whose raw value `text` spells in any ASCII letter case (see ``InputName``).
    public init?(inputName text: some StringProtocol) {
        guard let raw = InputName.match(text, among: Self.allCases.map(\.rawValue)) else { return nil }
        self.init(rawValue: raw)
    }
}
