/// Text made safe to print on a terminal.
///
/// Much of what `tmwsctl` prints comes from the database and from other agents: a viewer chooses
/// `feature_accessed`, an editor a license's metadata, an admin agent names and revocation
/// reasons. Printed raw, an escape sequence in one of them could retitle the terminal, clear the
/// screen, or move the cursor to overwrite a line with a fake `VALID` row. Every text-mode line is
/// therefore written with its control characters escaped: C0 controls (`\n`, `\r`, `\t` and
/// `\x1b`-style for the rest), DEL, the C1 controls U+0080–U+009F, and the bidirectional-text
/// controls that reorder what is shown (`\u{202e}`). JSON output is exact (JSON escapes C0 itself).
enum TerminalText {
    /// `text` with every control character escaped; with `keepingTabs`, a TAB stays (the
    /// separator of `tmwsctl`'s own columns). Fields from the database are escaped with their tabs
    /// (``field(_:)``) before they are joined into such a line.
    static func escaped(_ text: String, keepingTabs: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingTabs: keepingTabs) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, keepingTabs: keepingTabs) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// A value from the database or another agent, for one column of a tab-separated line: its
    /// tabs are escaped too, so that it cannot shift the columns after it.
    static func field(_ text: String) -> String { escaped(text, keepingTabs: false) }

    static func needsEscape(_ scalar: Unicode.Scalar, keepingTabs: Bool) -> Bool {
        switch scalar.value {
        case 0x09: return !keepingTabs
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0...0xFF:
            let hex = String(scalar.value, radix: 16)
            return "\\x" + (hex.count == 1 ? "0" + hex : hex)
        default: return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
}
