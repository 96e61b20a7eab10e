import Fluent
import Foundation
import PostgresNIO

/// ``PositionReadStore`` on PostgreSQL: rows read through PostgresNIO and decoded by position
/// (SQLKit's `decode(column:as:)` builds a coding path and looks the type's conformance up for
/// every cell, most of the list's time).
struct PostgresPositionReadStore: PositionReadStore {
    func list(userID: UUID, status: PositionStatus?, limit: Int, on db: any Database) async throws -> [PositionRow] {
        let postgres = try db.postgres(for: "PostgresPositionReadStore")
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(userID)
        if let status { bindings.append(status.rawValue) }
        bindings.append(limit)
        let query = PostgresQuery(unsafeSQL: Self.listSQL(byStatus: status != nil), binds: bindings)
        let logger = db.logger
        let result = try await postgres.withConnection { $0.query(query, logger: logger) }.get()
        var rows: [PositionRow] = []
        rows.reserveCapacity(result.rows.count)
        for row in result.rows { rows.append(try PositionRow(row)) }
        return rows
    }
}
