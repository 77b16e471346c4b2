import Foundation

/// Where output goes: results to standard output, messages and progress to standard error.
///
/// Text lines are written with their control characters escaped (``TerminalText``), so that
/// nothing read from the database can drive the terminal; ``json(_:)`` writes JSON exactly.
enum Console {
    /// Prints a result line on standard output (one line: a newline inside is escaped).
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((TerminalText.escaped(line) + "\n").utf8))
    }

    /// Prints a JSON document or JSON Lines line on standard output, exactly as encoded.
    static func json(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Prints a message on standard error, each of its lines escaped (a usage message from the
    /// argument parser keeps its lines).
    static func error(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaped(String($0)) }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Rewrites a progress line on standard error (a terminal) without a newline.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data(("\r" + TerminalText.escaped(line)).utf8))
    }

    /// Whether standard input is a terminal (for interactive confirmation).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Whether standard error is a terminal (for progress display).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Asks a yes/no question on the terminal; `true` only for `yes` or `y`.
    static func confirm(_ question: String) -> Bool {
        FileHandle.standardError.write(Data((TerminalText.escaped(question) + " [y/N] ").utf8))
        guard let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return answer == "y" || answer == "yes"
    }
}
