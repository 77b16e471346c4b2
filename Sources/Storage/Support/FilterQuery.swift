/// A query assembled from optional filters, for every SQL backend: each condition is written with
/// `?` placeholders and left out when any of its values is nil, so a filter field that is not set
/// adds nothing. The backend chooses how placeholders are written (SQLite's `?`, PostgreSQL's
/// `$1`, `$2`, …) and what a bound value is.
package struct FilterQuery<Binding: Sendable>: Sendable {
    package enum Placeholders: Sendable {
        /// `?`, as written (SQLite).
        case questionMarks
        /// `$1`, `$2`, … in the order values are bound (PostgreSQL).
        case numbered
    }

    package private(set) var sql: String
    /// The bound values, in placeholder order.
    package private(set) var bindings: [Binding] = []
    private var hasWhere = false
    private let placeholders: Placeholders

    package init(_ select: String, placeholders: Placeholders) {
        self.sql = select
        self.placeholders = placeholders
    }

    /// Adds `condition` (one `?` per value) unless a value is nil.
    package mutating func `where`(_ condition: String, _ values: Binding?...) {
        var present: [Binding] = []
        for value in values {
            guard let value else { return }
            present.append(value)
        }
        sql += (hasWhere ? " AND " : " WHERE ") + written(condition, count: present.count)
        hasWhere = true
        bindings += present
    }

    /// Appends text after the conditions (`ORDER BY`, `LIMIT ?`) and its values.
    package mutating func suffix(_ text: String, _ values: Binding...) {
        sql += " " + written(text, count: values.count)
        bindings += values
    }

    private func written(_ text: String, count: Int) -> String {
        guard placeholders == .numbered else { return text }
        var result = ""
        var next = bindings.count + 1
        for character in text {
            if character == "?" {
                result += "$\(next)"
                next += 1
            } else {
                result.append(character)
            }
        }
        precondition(next == bindings.count + 1 + count, "placeholder count does not match the values")
        return result
    }
}
