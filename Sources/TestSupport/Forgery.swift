/// Forged values for tests that must be wrong, and provably so.
///
/// A "wrong" value built by overwriting a character with a fixed one equals the right value
/// whenever the right value already had that character there (one license key in sixteen ends in
/// `0`). These helpers always change the value, and trap if they could not.
public enum Forgery {
    /// `text` with its last character replaced by a different lowercase hex digit: a license key
    /// stays well-formed and names the same license, but its checksum no longer matches.
    ///
    /// - Precondition: `text` is not empty.
    public static func changingLastHexDigit(of text: String) -> String {
        precondition(!text.isEmpty, "nothing to change")
        let last = text.last!
        let replacement: Character = last == "0" ? "1" : "0"
        let forged = String(text.dropLast()) + String(replacement)
        precondition(forged != text)
        return forged
    }
}
