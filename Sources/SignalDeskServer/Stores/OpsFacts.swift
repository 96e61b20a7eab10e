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
    /// What differs between the databases (``OpsFactsStore``): `app.stores.opsFacts`.
    let store: any OpsFactsStore

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

    /// Audit figures of a scope: blocked opens and errors per trading day, and recent events.
    struct AuditTotals: Sendable, Equatable {
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
        let rows = try await sql.raw(
            """
            SELECT user_id, exchange,
              SUM(CASE WHEN status = 'OPEN' THEN 1 ELSE 0 END) AS open_now,
              SUM(CASE WHEN closed_day = \(bind: day) THEN 1 ELSE 0 END) AS closed_today,
              SUM(CASE WHEN closed_day = \(bind: day) THEN realized_pnl ELSE 0 END) AS pnl_today
            FROM positions WHERE status = 'OPEN' OR closed_day = \(bind: day)
            GROUP BY user_id, exchange
            """
        ).all()
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

    /// `user_id` is one of `users` (nil: any user), or null when `nobody` is true.
    func userPredicate(_ users: Set<UUID>?, nobody: Bool) -> SQLQueryString {
        guard let users else { return nobody ? "1 = 1" : "user_id IS NOT NULL" }
        let predicate: SQLQueryString = users.isEmpty ? "1 = 0" : store.userIDIn(Array(users))
        return nobody ? "(" + predicate + " OR user_id IS NULL)" : predicate
    }

    /// Trades (closes) on each of `days` (oldest first) by `users`, on `exchange` or any.
    func tradeTotals(_ days: [String], users: Set<UUID>?, exchange: String?) async throws -> [Int] {
        guard let first = days.first else { return [] }
        var query: SQLQueryString =
            "SELECT closed_day, COUNT(*) AS trades FROM positions WHERE closed_day >= \(bind: first) AND "
        query += userPredicate(users, nobody: false)
        if let exchange { query += " AND exchange = \(bind: exchange)" }
        query += " GROUP BY closed_day"
        var byDay: [String: Int] = [:]
        for row in try await sql.raw(query).all() {
            byDay[try row.decode(column: "closed_day", as: String.self)] = try row.decode(
                column: "trades", as: Int.self)
        }
        return days.map { byDay[$0] ?? 0 }
    }

    /// The daily-risk rows of `day`: trades counted at close and realized PnL, per user.
    func dailyRisk(day: String) async throws -> [UUID: (trades: Int, pnl: Double)] {
        let rows = try await DailyRiskState.query(on: db).filter(\.$day == day).all()
        return Dictionary(
            rows.map { ($0.$user.id, (trades: $0.tradesCount, pnl: $0.realizedPnL)) },
            uniquingKeysWith: { first, _ in first })
    }

    /// Blocked opens per user within one trading day.
    func blockedOpens(_ day: TradingDayWindow) async throws -> [UUID: Int] {
        let rows = try await sql.raw(
            """
            SELECT user_id, COUNT(*) AS blocked FROM audit_log
            WHERE created_at >= \(bind: day.start) AND created_at < \(bind: day.end)
              AND action LIKE 'position.open.blocked.%' AND user_id IS NOT NULL
            GROUP BY user_id
            """
        ).all()
        var result: [UUID: Int] = [:]
        for row in rows {
            result[try row.decode(column: "user_id", as: UUID.self)] = try row.decode(column: "blocked", as: Int.self)
        }
        return result
    }

    /// Blocked opens and errors per trading day of `days`, and the recent events since
    /// `recentSince`, of the audit rows of `users` (and of nobody's rows when `nobody`).
    ///
    /// Each row is classified once (kind 1 blocked open, 2 error, 3 pretrade block, 4 webhook
    /// authentication failure; the index of its day; recent or not) and counted per class: a
    /// handful of groups, so the work per row stays small however many rows the week holds.
    func auditTotals(days: [TradingDayWindow], recentSince: Date, users: Set<UUID>?, nobody: Bool) async throws
        -> AuditTotals
    {
        var day: SQLQueryString = "CASE"
        for (index, window) in days.enumerated().reversed() {
            day +=
                " WHEN created_at >= \(bind: window.start) AND created_at < \(bind: window.end) THEN \(literal: index)"
        }
        day += " ELSE -1 END"
        let earliest = min(days.first?.start ?? recentSince, recentSince)
        var query: SQLQueryString =
            "SELECT day, kind, COUNT(*) AS total, SUM(recent) AS recent FROM (SELECT " + day + " AS day, "
        query +=
            "CASE WHEN action LIKE 'position.open.blocked.%' THEN 1 WHEN action LIKE '%.error' OR action LIKE 'execution.blocked.%' THEN 2 "
        query +=
            "WHEN action = \(bind: AuditActionClass.pretradeBlocked) THEN 3 WHEN action = \(bind: AuditActionClass.webhookAuthFailed) THEN 4 ELSE 0 END AS kind, "
        query += "CASE WHEN created_at >= \(bind: recentSince) THEN 1 ELSE 0 END AS recent "
        query += "FROM audit_log WHERE created_at >= \(bind: earliest) AND " + userPredicate(users, nobody: nobody)
        query += ") AS classified WHERE kind > 0 GROUP BY day, kind"

        var totals = AuditTotals(days: days.count)
        for row in try await sql.raw(query).all() {
            let day = try row.decode(column: "day", as: Int.self)
            let kind = try row.decode(column: "kind", as: Int.self)
            let total = try row.decode(column: "total", as: Int.self)
            let recent = try row.decode(column: "recent", as: Int?.self) ?? 0
            if days.indices.contains(day) {
                if kind == 1 { totals.blockedByDay[day] += total }
                if kind == 2 { totals.errorsByDay[day] += total }
            }
            switch kind {
            case 2: totals.recentErrors += recent
            case 3: totals.recentPretradeBlocked += recent
            case 4: totals.recentWebhookAuthFailures += recent
            default: break
            }
        }
        return totals
    }

    /// Signals waiting or executing, and signals that failed since `failedSince`, per user.
    func signals(failedSince: Date) async throws -> [UUID: SignalCounts] {
        let rows = try await sql.raw(
            """
            SELECT user_id,
              SUM(CASE WHEN status IN (\(SignalSQL.list(SignalStatus.pending))) THEN 1 ELSE 0 END) AS pending,
              SUM(CASE WHEN status = \(SignalSQL.literal(.failed)) AND updated_at >= \(bind: failedSince) THEN 1 ELSE 0 END) AS failed
            FROM signals WHERE status IN (\(SignalSQL.list(SignalStatus.pending + [.failed])))
            GROUP BY user_id
            """
        ).all()
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
        try Self.latestByUser(
            try await sql.raw(
                """
                SELECT u.id AS user_id,
                  (SELECT a.created_at FROM audit_log a WHERE a.user_id = u.id ORDER BY a.created_at DESC LIMIT 1) AS latest
                FROM users u
                """
            ).all())
    }

    /// The latest value of a time column per user in `table`, for `users` (nil: everyone).
    func latest(table: String, column: String, users: Set<UUID>? = nil) async throws -> [UUID: Date] {
        try Self.latestByUser(
            try await sql.raw(
                """
                SELECT user_id, MAX(\(ident: column)) AS latest FROM \(ident: table) WHERE \(userPredicate(users, nobody: false))
                GROUP BY user_id
                """
            ).all())
    }

    /// Rows of `user_id` and a nullable `latest` time, as a dictionary without the nulls.
    private static func latestByUser(_ rows: [any SQLRow]) throws -> [UUID: Date] {
        var result: [UUID: Date] = [:]
        for row in rows {
            if let date = try row.decode(column: "latest", as: Date?.self) {
                result[try row.decode(column: "user_id", as: UUID.self)] = date
            }
        }
        return result
    }
}

/// The one thing the ops reports' SQL writes differently per database: a set of user ids.
protocol OpsFactsStore: Sendable {
    /// `user_id` is one of `users` (not empty).
    func userIDIn(_ users: [UUID]) -> SQLQueryString
}

/// ``OpsFactsStore`` on PostgreSQL: the set as one array parameter, whatever its size.
struct PostgresOpsFactsStore: OpsFactsStore {
    func userIDIn(_ users: [UUID]) -> SQLQueryString { "user_id = ANY(\(bind: users))" }
}

/// ``OpsFactsStore`` on SQLite, which has no arrays: the set as a list of parameters.
struct SQLiteOpsFactsStore: OpsFactsStore {
    func userIDIn(_ users: [UUID]) -> SQLQueryString { "user_id IN (\(binds: users))" }
}
