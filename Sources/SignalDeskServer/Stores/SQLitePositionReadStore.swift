import Fluent
import Foundation
import SQLKit

/// ``PositionReadStore`` on SQLite: ``listSQL(byStatus:)`` through SQLKit.
struct SQLitePositionReadStore: PositionReadStore {
    func list(userID: UUID, status: PositionStatus?, limit: Int, on db: any Database) async throws -> [PositionRow] {
        var binds: [any Encodable & Sendable] = [userID]
        if let status { binds.append(status.rawValue) }
        binds.append(limit)
        let rows = try await db.sql(for: "SQLitePositionReadStore").raw(
            SQLQueryString(numbered: Self.listSQL(byStatus: status != nil), binds: binds)
        ).all()
        return try rows.map(PositionRow.init)
    }
}
