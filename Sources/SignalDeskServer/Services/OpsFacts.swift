import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Vapor

/// Grouped queries behind the ops reports (daily compare, dashboard summary, cleanup).
///
/// Each answers one aggregate for every user at once (`GROUP BY user_id`), so a report costs a
/// fixed number of round trips whatever the number of users; the reports then only merge the
/// per-user rows.
struct OpsFacts {
    let db: any Database

    var sql: any SQLDatabase { db as! any SQLDatabase }

    struct PositionCounts: Sendable {
        var openNow = 0
        var closedToday = 0
        var realizedPnLToday = 0.0
    }

    struct AuditCounts: Sendable {
        var blockedByDay: [Int]
        var errorsByDay: [Int]
        var recentErrors = 0
        var recentPretradeBlocked = 0
        var recentWebhookAuthFailures = 0

        init(days: Int) {
            blockedByDay = Array(repeating: 0, count: days)
            errorsByDay = Array(repeating: 0, count: days)
        }
    }

    struct SignalCounts: Sendable {
        var pending = 0
        var failedRecently = 0
    }

    /// Open positions now, and positions closed on `day`, per user and exchange.
    func positions(day: String) async throws -> [UUID: [String: PositionCounts]] {
        let rows = try await sql.raw("""
            SELECT user_id, exchange,
              SUM(CASE WHEN status = 'OPEN' THEN 1 ELSE 0 END) AS open_now,
              SUM(CASE WHEN closed_day = \(bind: day) THEN 1 ELSE 0 END) AS closed_today,
              SUM(CASE WHEN closed_day = \(bind: day) THEN realized_pnl ELSE 0 END) AS pnl_today
            FROM positions WHERE status = 'OPEN' OR closed_day = \(bind: day)
            GROUP BY user_id, exchange
            """).all()
        var result: [UUID: [String: PositionCounts]] = [:]
        for row in rows {
            let user = try row.decode(column: "user_id", as: UUID.self)
            result[user, default: [:]][try row.decode(column: "exchange", as: String.self)] = PositionCounts(
                openNow: try row.decode(column: "open_now", as: Int?.self) ?? 0,
                closedToday: try row.decode(column: "closed_today", as: Int?.self) ?? 0,
                realizedPnLToday: try row.decode(column: "pnl_today", as: Double?.self) ?? 0)
        }
        return result
    }

    /// Trades (closes) per user, exchange and trading day, from `firstDay` on.
    func tradesByDay(from firstDay: String) async throws -> [UUID: [String: [String: Int]]] {
        let rows = try await sql.raw("""
            SELECT user_id, exchange, closed_day, COUNT(*) AS trades
            FROM positions WHERE closed_day >= \(bind: firstDay)
            GROUP BY user_id, exchange, closed_day
            """).all()
        var result: [UUID: [String: [String: Int]]] = [:]
        for row in rows {
            let user = try row.decode(column: "user_id", as: UUID.self)
            let exchange = try row.decode(column: "exchange", as: String.self)
            result[user, default: [:]][exchange, default: [:]][try row.decode(column: "closed_day", as: String.self)] =
                try row.decode(column: "trades", as: Int.self)
        }
        return result
    }

    /// The daily-risk rows of `day`: trades counted at close and realized PnL, per user.
    func dailyRisk(day: String) async throws -> [UUID: (trades: Int, pnl: Double)] {
        let rows = try await DailyRiskState.query(on: db).filter(\.$day == day).all()
        return Dictionary(rows.map { ($0.$user.id, (trades: $0.tradesCount, pnl: $0.realizedPnL)) }, uniquingKeysWith: { first, _ in first })
    }

    /// Audit rows per user (nil: rows of nobody, such as failures on an unknown webhook): blocked
    /// opens and errors per trading day of `days`, and the recent events since `recentSince`.
    func auditCounts(days: [TradingDayWindow], recentSince: Date) async throws -> [UUID?: AuditCounts] {
        let blocked: SQLQueryString = "action LIKE 'position.open.blocked.%'"
        let error: SQLQueryString = "(action LIKE '%.error' OR action LIKE 'execution.blocked.%')"
        var query: SQLQueryString = "SELECT user_id"
        for (index, day) in days.enumerated() {
            let within: SQLQueryString = "created_at >= \(bind: day.start) AND created_at < \(bind: day.end)"
            query += ", SUM(CASE WHEN " + within + " AND " + blocked + " THEN 1 ELSE 0 END) AS \(ident: "blocked_\(index)")"
            query += ", SUM(CASE WHEN " + within + " AND " + error + " THEN 1 ELSE 0 END) AS \(ident: "errors_\(index)")"
        }
        let recent: SQLQueryString = "created_at >= \(bind: recentSince)"
        query += ", SUM(CASE WHEN " + recent + " AND " + error + " THEN 1 ELSE 0 END) AS recent_errors"
        query += ", SUM(CASE WHEN " + recent + " AND action = \(bind: AuditActionClass.pretradeBlocked) THEN 1 ELSE 0 END) AS recent_pretrade"
        query += ", SUM(CASE WHEN " + recent + " AND action = \(bind: AuditActionClass.webhookAuthFailed) THEN 1 ELSE 0 END) AS recent_webhook"
        let earliest = min(days.first?.start ?? recentSince, recentSince)
        query += " FROM audit_log WHERE created_at >= \(bind: earliest) GROUP BY user_id"

        var result: [UUID?: AuditCounts] = [:]
        for row in try await sql.raw(query).all() {
            var counts = AuditCounts(days: days.count)
            for index in days.indices {
                counts.blockedByDay[index] = try row.decode(column: "blocked_\(index)", as: Int?.self) ?? 0
                counts.errorsByDay[index] = try row.decode(column: "errors_\(index)", as: Int?.self) ?? 0
            }
            counts.recentErrors = try row.decode(column: "recent_errors", as: Int?.self) ?? 0
            counts.recentPretradeBlocked = try row.decode(column: "recent_pretrade", as: Int?.self) ?? 0
            counts.recentWebhookAuthFailures = try row.decode(column: "recent_webhook", as: Int?.self) ?? 0
            result[try row.decode(column: "user_id", as: UUID?.self)] = counts
        }
        return result
    }

    /// Signals waiting or executing, and signals that failed since `failedSince`, per user.
    func signals(failedSince: Date) async throws -> [UUID: SignalCounts] {
        let rows = try await sql.raw("""
            SELECT user_id,
              SUM(CASE WHEN status IN ('CREATED', 'EXECUTING') THEN 1 ELSE 0 END) AS pending,
              SUM(CASE WHEN status = 'FAILED' AND updated_at >= \(bind: failedSince) THEN 1 ELSE 0 END) AS failed
            FROM signals WHERE status IN ('CREATED', 'EXECUTING', 'FAILED')
            GROUP BY user_id
            """).all()
        var result: [UUID: SignalCounts] = [:]
        for row in rows {
            result[try row.decode(column: "user_id", as: UUID.self)] = SignalCounts(
                pending: try row.decode(column: "pending", as: Int?.self) ?? 0,
                failedRecently: try row.decode(column: "failed", as: Int?.self) ?? 0)
        }
        return result
    }

    /// Each user's latest audited action: one probe of the (user_id, created_at) index per user,
    /// instead of grouping the whole log.
    func lastAudited() async throws -> [UUID: Date] {
        let rows = try await sql.raw("""
            SELECT u.id AS user_id,
              (SELECT a.created_at FROM audit_log a WHERE a.user_id = u.id ORDER BY a.created_at DESC LIMIT 1) AS latest
            FROM users u
            """).all()
        var result: [UUID: Date] = [:]
        for row in rows {
            if let date = try row.decode(column: "latest", as: Date?.self) {
                result[try row.decode(column: "user_id", as: UUID.self)] = date
            }
        }
        return result
    }

    /// The latest value of a time column per user in `table`.
    func latest(table: String, column: String) async throws -> [UUID: Date] {
        let rows = try await sql.raw("""
            SELECT user_id, MAX(\(ident: column)) AS latest FROM \(ident: table) WHERE user_id IS NOT NULL GROUP BY user_id
            """).all()
        var result: [UUID: Date] = [:]
        for row in rows {
            if let date = try row.decode(column: "latest", as: Date?.self) {
                result[try row.decode(column: "user_id", as: UUID.self)] = date
            }
        }
        return result
    }
}
