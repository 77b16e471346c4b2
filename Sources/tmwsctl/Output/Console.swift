import Foundation

/// Where output goes: results to standard output, messages and progress to standard error.
enum Console {
    /// Prints a result line on standard output.
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Prints a message on standard error.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Rewrites a progress line on standard error (a terminal) without a newline.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data(("\r" + line).utf8))
    }

    /// Whether standard input is a terminal (for interactive confirmation).
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Whether standard error is a terminal (for progress display).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Asks a yes/no question on the terminal; `true` only for `yes` or `y`.
    static func confirm(_ question: String) -> Bool {
        FileHandle.standardError.write(Data((question + " [y/N] ").utf8))
        guard let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return answer == "y" || answer == "yes"
    }
}
