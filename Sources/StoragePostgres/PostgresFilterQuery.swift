import PostgresNIO
import TMWSStorage

/// The PostgreSQL form of `FilterQuery`: `$1`, `$2`, … placeholders, PostgresNIO values.
typealias PostgresFilterQuery = FilterQuery<any PostgresDynamicTypeEncodable & Sendable>

extension FilterQuery where Binding == any PostgresDynamicTypeEncodable & Sendable {
    init(_ select: String) { self.init(select, placeholders: .numbered) }

    var query: PostgresQuery {
        var binds = PostgresBindings()
        for value in bindings { binds.append(value) }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// Appends `text` (`ORDER BY …`) and `LIMIT n`.
    mutating func suffix(_ text: String, limit: Int) {
        suffix(text + " LIMIT ?", limit)
    }
}
