import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// `daily_risk_state`: the user's daily risk row and its per-close increment, written when
/// positions are booked (``PositionBook``). The SQL is the same on PostgreSQL and SQLite, so this
/// is one store, not a protocol with two implementations.
struct DailyRiskStore: Sendable {
    /// Writes `userID`'s risk row for `day` (no trades, no P&L) unless it exists.
    func ensureDailyRow(userID: UUID, day: String, now: Date, on db: any Database) async throws {
        try await db.sql(for: "DailyRiskStore").raw(
            """
            INSERT INTO daily_risk_state (id, user_id, day, trades_count, realized_pnl, updated_at)
            VALUES (\(bind: UUID()), \(bind: userID), \(bind: day), 0, 0, \(bind: now))
            ON CONFLICT (user_id, day) DO NOTHING
            """
        ).run()
    }

    /// Counts a closed trade with `realizedPnL` on `userID`'s risk row for `day`. An increment in
    /// SQL, so a concurrent close on another connection cannot be lost.
    func addClosedTrade(userID: UUID, day: String, realizedPnL: Double, now: Date, on db: any Database) async throws {
        try await db.sql(for: "DailyRiskStore").raw(
            """
            UPDATE daily_risk_state SET trades_count = trades_count + 1, realized_pnl = realized_pnl + \(bind: realizedPnL),
                updated_at = \(bind: now)
            WHERE user_id = \(bind: userID) AND day = \(bind: day)
            """
        ).run()
    }
}
