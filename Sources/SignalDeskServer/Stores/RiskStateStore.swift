import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// What the open checks read about a user (``OpenRiskCheck/State``), in one statement: open
/// positions, the latest open and close, the day's trades and P&L, and the opens in flight. Each
/// part reads an index range of the user's own rows (`AddExecutionIndexes`), so a decision costs
/// the same whatever the user's history. The SQL is the same on PostgreSQL and SQLite.
enum RiskStateStore {
    /// An order still in flight: reserved, or with an unknown outcome, and no position booked.
    /// Written as literals, as `idx_orders_user_pending`'s predicate is: a partial index serves
    /// only a query whose condition implies its own, which SQLite checks on the text.
    static let pendingOrderPredicate = "status IN ('PENDING', 'UNKNOWN') AND position_id IS NULL"

    /// The user's (`$1`) opens in flight: an order reserved for an open signal that is still being
    /// executed (`CREATED` after a lease ran out, or `EXECUTING`), with no position booked. An
    /// order whose outcome is unknown stays reserved while its signal may be retried; once the
    /// signal has failed, expired or been rejected, the reservation no longer counts.
    static let inFlight = """
        FROM orders WHERE user_id = $1 AND \(pendingOrderPredicate) AND EXISTS (
          SELECT 1 FROM signals s WHERE s.id = orders.signal_id AND s.action = '\(SignalAction.open.rawValue)'
            AND s.status IN (\(SignalSQL.text([.created, .executing]))))
        """

    /// The statement: `$1` the user, `$2` the trading day.
    static let sql = """
        SELECT
          (SELECT COUNT(*) FROM positions WHERE user_id = $1 AND status = '\(PositionStatus.open.rawValue)') AS open_now,
          (SELECT MAX(opened_at) FROM positions WHERE user_id = $1) AS last_open,
          (SELECT MAX(closed_at) FROM positions WHERE user_id = $1) AS last_close,
          (SELECT trades_count FROM daily_risk_state WHERE user_id = $1 AND day = $2) AS trades_today,
          (SELECT realized_pnl FROM daily_risk_state WHERE user_id = $1 AND day = $2) AS pnl_today,
          (SELECT COUNT(*) \(inFlight)) AS pending_opens,
          (SELECT MAX(created_at) \(inFlight)) AS last_reserved
        """

    /// `userID`'s state on trading day `day`.
    static func state(userID: UUID, day: String, on db: any Database) async throws -> OpenRiskCheck.State {
        let row = try await db.sql(for: "RiskStateStore").raw(
            SQLQueryString(numbered: sql, binds: [userID, day])
        ).first()
        guard let row else { throw RiskStateMissing() }
        let lastOpen = try row.decode(column: "last_open", as: Date?.self)
        let lastClose = try row.decode(column: "last_close", as: Date?.self)
        let lastReserved = try row.decode(column: "last_reserved", as: Date?.self)
        return OpenRiskCheck.State(
            openPositions: try row.decode(column: "open_now", as: Int.self),
            pendingOpens: try row.decode(column: "pending_opens", as: Int.self),
            lastActivityAt: [lastOpen, lastClose, lastReserved].compactMap { $0 }.max(),
            tradesToday: try row.decode(column: "trades_today", as: Int?.self) ?? 0,
            realizedPnLToday: try row.decode(column: "pnl_today", as: Double?.self) ?? 0)
    }

    /// `userID`'s open quantity per symbol (upper-cased): booked `OPEN` positions and opens in flight
    /// (``MAX_OPEN_QTY_PER_SYMBOL``, issue 25 group 11). Read only when that limit is on.
    static func openQtyBySymbol(userID: UUID, on db: any Database) async throws -> [String: Double] {
        let sql = """
            SELECT UPPER(symbol) AS symbol, SUM(qty) AS qty FROM (
              SELECT symbol, qty FROM positions WHERE user_id = $1 AND status = '\(PositionStatus.open.rawValue)'
              UNION ALL
              SELECT symbol, qty \(inFlight)
            ) held GROUP BY UPPER(symbol)
            """
        let rows = try await db.sql(for: "RiskStateStore").raw(SQLQueryString(numbered: sql, binds: [userID])).all()
        var held: [String: Double] = [:]
        for row in rows {
            held[try row.decode(column: "symbol", as: String.self)] = try row.decode(column: "qty", as: Double.self)
        }
        return held
    }

    /// A `SELECT` without `FROM` answered no row: never, unless the driver lost it.
    struct RiskStateMissing: Error {}
}
