import Fluent
import SQLKit

extension Database {
    /// Creates a (non-unique unless asked) index, partial when `predicate` is given (rows it holds
    /// for); portable between SQLite and PostgreSQL.
    func createIndex(
        _ name: String, on table: String, columns: [String], unique: Bool = false,
        where predicate: (any SQLExpression)? = nil
    ) async throws {
        guard let sql = self as? SQLDatabase else { return }
        var builder = sql.create(index: name).on(table)
        if unique { builder = builder.unique() }
        for column in columns { builder = builder.column(column) }
        builder.createIndex.predicate = predicate
        try await builder.run()
    }

    func dropIndex(_ name: String) async throws {
        guard let sql = self as? SQLDatabase else { return }
        try await sql.drop(index: name).ifExists().run()
    }
}
