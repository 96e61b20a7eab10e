import Fluent
import Foundation

/// Reads positions for lists: `GET /positions`.
protocol PositionReadStore: Sendable {
    /// The user's positions, with `status` only when given, newest opened first (ties by id,
    /// descending), at most `limit`.
    func list(userID: UUID, status: PositionStatus?, limit: Int, on db: any Database) async throws -> [PositionRow]
}
