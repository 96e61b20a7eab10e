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

    /// The columns of a user the reports read (no password hash, no sealed value).
    struct UserFacts: Sendable {
        let id: UUID
        let email: String
        let role: UserRole
        let riskProfile: String?
        let capitalBaseUSD: Double?
    }

    /// Every user, ordered by email.
    func users() async throws -> [UserFacts] {
        try await sql.select().columns("id", "email", "role", "risk_profile", "capital_base_usd").from("users")
            .orderBy("email").all().map { row in
                UserFacts(
                    id: try row.decode(column: "id", as: UUID.self),
                    email: try row.decode(column: "email", as: String.self),
                    role: UserRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .disabled,
                    riskProfile: try row.decode(column: "risk_profile", as: String?.self),
                    capitalBaseUSD: try row.decode(column: "capital_base_usd", as: Double?.self))
            }
    }

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

    /// Trades (closes) per user and exchange on each of `days` (oldest first): one row per user
    /// and exchange, the days as columns.
    func tradesByDay(_ days: [String]) async throws -> [UUID: [String: [Int]]] {
        guard let first = days.first else { return [:] }
        var query: SQLQueryString = "SELECT user_id, exchange"
        for (index, day) in days.enumerated() {
            query += ", SUM(CASE WHEN closed_day = \(bind: day) THEN 1 ELSE 0 END) AS \(ident: "trades_\(index)")"
        }
        query += " FROM positions WHERE closed_day >= \(bind: first) GROUP BY user_id, exchange"
        var result: [UUID: [String: [Int]]] = [:]
        for row in try await sql.raw(query).all() {
            let counts = try days.indices.map { try row.decode(column: "trades_\($0)", as: Int?.self) ?? 0 }
            result[try row.decode(column: "user_id", as: UUID.self), default: [:]][try row.decode(column: "exchange", as: String.self)] = counts
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
        // Each row is classified once (kind 1 blocked open, 2 error, 3 pretrade block, 4 webhook
        // authentication failure; day index; recent or not), then summed per user.
        var day: SQLQueryString = "CASE"
        for (index, window) in days.enumerated().reversed() {
            day += " WHEN created_at >= \(bind: window.start) AND created_at < \(bind: window.end) THEN \(literal: index)"
        }
        day += " ELSE -1 END"
        var query: SQLQueryString = "SELECT user_id"
        for index in days.indices {
            query += ", SUM(CASE WHEN kind = 1 AND day = \(literal: index) THEN 1 ELSE 0 END) AS \(ident: "blocked_\(index)")"
            query += ", SUM(CASE WHEN kind = 2 AND day = \(literal: index) THEN 1 ELSE 0 END) AS \(ident: "errors_\(index)")"
        }
        query += ", SUM(CASE WHEN kind = 2 THEN recent ELSE 0 END) AS recent_errors"
        query += ", SUM(CASE WHEN kind = 3 THEN recent ELSE 0 END) AS recent_pretrade"
        query += ", SUM(CASE WHEN kind = 4 THEN recent ELSE 0 END) AS recent_webhook"
        let earliest = min(days.first?.start ?? recentSince, recentSince)
        query += " FROM (SELECT user_id, " + day + " AS day, "
        query += "CASE WHEN action LIKE 'position.open.blocked.%' THEN 1 WHEN action LIKE '%.error' OR action LIKE 'execution.blocked.%' THEN 2 "
        query += "WHEN action = \(bind: AuditActionClass.pretradeBlocked) THEN 3 WHEN action = \(bind: AuditActionClass.webhookAuthFailed) THEN 4 ELSE 0 END AS kind, "
        query += "CASE WHEN created_at >= \(bind: recentSince) THEN 1 ELSE 0 END AS recent "
        query += "FROM audit_log WHERE created_at >= \(bind: earliest)) AS classified WHERE kind > 0 GROUP BY user_id"

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
