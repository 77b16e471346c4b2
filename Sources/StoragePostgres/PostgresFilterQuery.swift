import PostgresNIO

/// A SELECT assembled from optional filters. Conditions are written with `?` placeholders, which
/// become `$1`, `$2`, … in order as their values are bound.
struct PostgresFilterQuery {
    private(set) var sql: String
    private var binds = PostgresBindings()
    private var hasWhere = false

    init(_ select: String) { self.sql = select }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    /// Adds a condition without values.
    mutating func `where`(_ condition: String) {
        sql += (hasWhere ? " AND " : " WHERE ") + condition
        hasWhere = true
    }

    /// Adds `condition` with one value, unless the value is nil.
    mutating func `where`<A: PostgresDynamicTypeEncodable>(_ condition: String, _ a: A?) {
        guard let a else { return }
        `where`(numbered(condition, count: 1))
        binds.append(a)
    }

    /// Adds `condition` with two values, unless either is nil.
    mutating func `where`<A: PostgresDynamicTypeEncodable, B: PostgresDynamicTypeEncodable>(_ condition: String, _ a: A?, _ b: B?) {
        guard let a, let b else { return }
        `where`(numbered(condition, count: 2))
        binds.append(a)
        binds.append(b)
    }

    /// Appends `ORDER BY … LIMIT n`.
    mutating func suffix(_ text: String, limit: Int) {
        sql += " " + text + " LIMIT \(limit)"
    }

    private func numbered(_ condition: String, count: Int) -> String {
        var result = ""
        var next = binds.count + 1
        for character in condition {
            if character == "?" {
                result += "$\(next)"
                next += 1
            } else {
                result.append(character)
            }
        }
        precondition(next == binds.count + 1 + count, "placeholder count does not match the values")
        return result
    }
}
