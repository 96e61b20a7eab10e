import Fluent
import SQLKit

/// Indexes that make the open checks' reads independent of a user's history (issue 21): before
/// them, every decision read all of the user's positions (the latest close: the only index on
/// closed positions is by closing day) and all of the user's orders (the opens in flight: orders
/// were indexed by user and creation time), so execution slowed as a user's history grew.
/// - `idx_positions_user_closed_at (user_id, closed_at)`: the user's latest close is the last
///   entry of the user's range.
/// - `idx_orders_user_pending (user_id) WHERE status IN ('PENDING', 'UNKNOWN') AND position_id IS
///   NULL`: only orders still in flight, a handful per user at most.
struct AddExecutionIndexes: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.createIndex(
            "idx_positions_user_closed_at", on: "positions", columns: ["user_id", "closed_at"])
        try await database.createIndex(
            "idx_orders_user_pending", on: "orders", columns: ["user_id"],
            where: SQLRaw(RiskStateStore.pendingOrderPredicate))
    }

    func revert(on database: Database) async throws {
        try await database.dropIndex("idx_orders_user_pending")
        try await database.dropIndex("idx_positions_user_closed_at")
    }
}
