import Fluent
import Foundation

/// Reads positions for lists: `GET /positions`.
protocol PositionReadStore: Sendable {
    /// The user's positions, with `status` only when given, newest opened first (ties by id,
    /// descending), at most `limit`.
    func list(userID: UUID, status: PositionStatus?, limit: Int, on db: any Database) async throws -> [PositionRow]
}

extension PositionReadStore {
    /// The list's statement, one text for both databases: `$1` the user id, then `$2` the status
    /// when `byStatus`, and the limit last.
    static func listSQL(byStatus: Bool) -> String {
        "SELECT \(PositionRow.columns) FROM positions WHERE user_id = $1"
            + (byStatus ? " AND status = $2" : "")
            + " ORDER BY opened_at DESC, id DESC LIMIT $\(byStatus ? 3 : 2)"
    }
}
