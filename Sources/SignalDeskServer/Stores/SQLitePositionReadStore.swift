import Fluent
import Foundation
import SQLKit

/// ``PositionReadStore`` on SQLite: plain SQL through SQLKit.
struct SQLitePositionReadStore: PositionReadStore {
    func list(userID: UUID, status: PositionStatus?, limit: Int, on db: any Database) async throws -> [PositionRow] {
        let statusFilter: SQLQueryString = status.map { "AND status = \(bind: $0.rawValue)" } ?? ""
        let rows = try await db.sql(for: "SQLitePositionReadStore").raw(
            """
            SELECT \(unsafeRaw: PositionRow.columns) FROM positions
            WHERE user_id = \(bind: userID) \(statusFilter)
            ORDER BY opened_at DESC, id DESC LIMIT \(bind: limit)
            """
        ).all()
        return try rows.map(PositionRow.init)
    }
}
