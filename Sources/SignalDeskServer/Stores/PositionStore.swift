import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The SQL that books positions (``PositionBook``, ``SignalExecution``) writes besides the
/// Fluent models: the user's daily risk row and its per-close increment, and the lifecycle steps
/// of the signal an open or a close moves. The SQL is the same on PostgreSQL and SQLite, so this is
/// one store, not a protocol with two implementations.
struct PositionStore: Sendable {
    /// Writes `userID`'s risk row for `day` (no trades, no P&L) unless it exists.
    func ensureDailyRow(userID: UUID, day: String, now: Date, on db: any Database) async throws {
        try await db.sql(for: "PositionStore").raw(
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
        try await db.sql(for: "PositionStore").raw(
            """
            UPDATE daily_risk_state SET trades_count = trades_count + 1, realized_pnl = realized_pnl + \(bind: realizedPnL),
                updated_at = \(bind: now)
            WHERE user_id = \(bind: userID) AND day = \(bind: day)
            """
        ).run()
    }

    /// Moves the signal `signalID` from `from` to `to`, only while it is still `from`: false when
    /// it was not (a concurrent change), which then is not overwritten.
    func transitionSignal(
        _ signalID: UUID, from: SignalStatus, to: SignalStatus, now: Date, on db: any Database
    ) async throws -> Bool {
        let changed = try await db.sql(for: "PositionStore").raw(
            """
            UPDATE signals SET status = \(bind: to.rawValue), updated_at = \(bind: now)
            WHERE id = \(bind: signalID) AND status = \(bind: from.rawValue)
            RETURNING id
            """
        ).all()
        return !changed.isEmpty
    }

    /// Sets the reason codes of the signal `signalID` (why it was rejected or failed).
    func setReasonCodes(_ reasons: [String], signalID: UUID, on db: any Database) async throws {
        try await db.sql(for: "PositionStore").update("signals")
            .set("reason_codes", to: SQLBind(ReasonCodes.encode(reasons)))
            .where("id", .equal, SQLBind(signalID)).run()
    }
}
