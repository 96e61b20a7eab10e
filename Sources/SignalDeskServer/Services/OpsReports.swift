import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// `/ops/risk/daily-compare` and `/ops/dashboard/summary`, built from ``OpsFacts``'s grouped
/// queries. Every count of a day uses the trading day of TRADING_DAY_TZ: trades by their closing
/// day, audit rows by the day's UTC bounds.
struct OpsReports {
    let app: Application
    let db: any Database

    var config: AppConfig { app.appConfig }
    var calendar: TradingCalendar { TradingCalendar(timeZone: config.tradingDayTimeZone) }

    // MARK: daily compare

    /// A user's limits under crypto-saas's key names (contract.md, "Wire details"); the cooldown is a
    /// number of minutes that may be fractional.
    struct LimitsOut: Content {
        let maxRiskPerTradePct: Double
        let maxDailyLossPct: Double
        let maxTradesPerDay: Int
        let maxOpenPositions: Int
        let cooldownBetweenTradesMinutes: Double
        let minRr: Double
        let capitalBaseUsd: Double

        init(_ limits: RiskLimits) {
            maxRiskPerTradePct = limits.rules.riskPerTradePct
            maxDailyLossPct = limits.rules.maxDailyLossPct
            maxTradesPerDay = limits.rules.maxTradesPerDay
            maxOpenPositions = limits.rules.maxOpenPositions
            cooldownBetweenTradesMinutes = limits.rules.cooldownMinutes
            minRr = limits.rules.minRewardRisk
            capitalBaseUsd = limits.capitalBaseUSD
        }
    }

    struct TodayOut: Content {
        let day: String
        let tradesToday: Int
        let realizedPnlToday: Double
        let dailyStopThreshold: Double
        let openPositionsNow: Int
        let closedPositionsToday: Int
        let blockedOpenAttemptsToday: Int
        let tradesUtilizationPct: Double
    }

    struct CompareUser: Content {
        let userId: UUID
        let email: String
        let role: UserRole
        let riskProfile: String
        let limits: LimitsOut
        let today: TodayOut
    }

    struct DailyCompare: Content {
        let day: String
        let generatedFor: String
        let generatedAt: Date
        let realOnly: Bool
        let users: [CompareUser]
    }

    func dailyCompare(realOnly: Bool, for caller: String, now: Date? = nil) async throws -> DailyCompare {
        let now = now ?? app.wallClock.now()
        let facts = OpsFacts(db: db, store: app.stores.opsFacts)
        let today = calendar.window(days: 1, endingAt: now)
        let day = today[0].day
        // Independent aggregates, each on its own pooled connection.
        async let everyone = facts.users()
        async let dailyRisk = facts.dailyRisk(day: day)
        async let positionCounts = facts.positions(day: day)
        async let blockedOpens = facts.blockedOpens(today[0])
        let (users, risk, positions, blocked) = try await (everyone, dailyRisk, positionCounts, blockedOpens)
        let book = PositionBook(app: app, db: db)
        let profiles = try await app.tradingSettings.current(on: db).profiles
        let rows = users.filter { !realOnly || RealUser.isReal(email: $0.email) }.map { user -> CompareUser in
            let limits = book.limits(
                storedProfile: user.riskProfile, email: user.email, capital: user.capitalBaseUSD, profiles: profiles)
            let mine = Array((positions[user.id] ?? [:]).values)
            let trades = risk[user.id]?.trades ?? 0
            return CompareUser(
                userId: user.id, email: user.email, role: user.role, riskProfile: limits.profileName,
                limits: LimitsOut(limits),
                today: TodayOut(
                    day: day,
                    tradesToday: trades,
                    realizedPnlToday: risk[user.id]?.pnl ?? 0,
                    dailyStopThreshold: limits.dailyStop,
                    openPositionsNow: mine.reduce(0) { $0 + $1.openNow },
                    closedPositionsToday: mine.reduce(0) { $0 + $1.closedToday },
                    blockedOpenAttemptsToday: blocked[user.id] ?? 0,
                    tradesUtilizationPct: utilizationPercent(trades, of: limits.rules.maxTradesPerDay)))
        }
        return DailyCompare(day: day, generatedFor: caller, generatedAt: now, realOnly: realOnly, users: rows)
    }

    // MARK: dashboard summary

    struct Filters: Content {
        let realOnly: Bool
        let maxSecretAgeDays: Int
        let recentHours: Int
        @NullEncodable var emailContains: String?
        let exchange: String
        let includeServiceUsers: Bool
    }

    struct Security: Content {
        let totalUsers: Int
        let usersMissing2fa: Int
        let usersWithStaleSecrets: Int
        let secretsOnRetiredKeys: Int
        let killSwitchEngaged: Bool
        @NullEncodable var killSwitchReason: String?

        enum CodingKeys: String, CodingKey {
            case totalUsers, usersWithStaleSecrets, secretsOnRetiredKeys, killSwitchEngaged, killSwitchReason
            case usersMissing2fa = "usersMissing_2fa"
        }
    }

    struct Operations: Content {
        let tradesTodayTotal: Int
        let openPositionsTotal: Int
        let blockedOpenAttemptsTotal: Int
        let signalsPending: Int
        let signalsFailed24h: Int

        enum CodingKeys: String, CodingKey {
            case tradesTodayTotal, openPositionsTotal, blockedOpenAttemptsTotal, signalsPending
            case signalsFailed24h = "signalsFailed_24h"
        }
    }

    struct RecentEvents: Content {
        let errorsLast24h: Int
        let pretradeBlockedLast24h: Int
        let webhookAuthFailures24h: Int

        enum CodingKeys: String, CodingKey {
            case errorsLast24h = "errorsLast_24h"
            case pretradeBlockedLast24h = "pretradeBlockedLast_24h"
            case webhookAuthFailures24h = "webhookAuthFailures_24h"
        }
    }

    struct ProfileRow: Content {
        let riskProfile: String
        let users: Int
        let tradesToday: Int
        let realizedPnlToday: Double
        let openPositionsNow: Int
        let blockedOpenAttemptsToday: Int
        let maxTradesPerDay: Int
        let tradesUtilizationPct: Double
    }

    struct TrendDay: Content {
        let day: String
        let tradesTotal: Int
        let blockedOpenAttemptsTotal: Int
        let errorsTotal: Int
    }

    /// Subscriptions of the users in view (issue 24): who may trade, who ends within 7 days.
    struct Subscriptions: Content {
        /// SUBSCRIPTION_REQUIRED: whether the statuses gate opens.
        let required: Bool
        let active: Int
        let expiring7d: Int
        let expired: Int
        let canceled: Int
        let none: Int

        enum CodingKeys: String, CodingKey {
            case required, active, expired, canceled, none
            case expiring7d = "expiring_7d"
        }
    }

    struct UserRow: Content {
        let userId: UUID
        let email: String
        let role: UserRole
        let riskProfile: String
        let twoFactorEnabled: Bool
        let exchangesConfigured: [String]
        let staleSecret: Bool
        let tradesToday: Int
        let realizedPnlToday: Double
        let openPositionsNow: Int
        let blockedOpenAttemptsToday: Int
        @NullEncodable var lastActivityAt: Date?
        let subscription: SubscriptionStatus
        @NullEncodable var subscriptionDaysLeft: Int?
    }

    /// Why the light is not green, naming the users: one entry per finding (missing 2FA and stale
    /// secrets make it red, blocked opens today yellow), over the population the light covers.
    struct StatusReason: Content, Equatable {
        let code: String
        let status: OverallStatus
        let users: Int
        /// The users' emails, sorted; at most ``StatusReason/maxEmails`` (`users` is the total).
        let emails: [String]
        let message: String

        static let maxEmails = 20

        init(code: String, status: OverallStatus, emails: [String], what: String, detail: (String) -> String = { $0 }) {
            let sorted = emails.sorted()
            let shown = Array(sorted.prefix(Self.maxEmails))
            self.code = code
            self.status = status
            self.users = sorted.count
            self.emails = shown
            var list = shown.map(detail).joined(separator: ", ")
            if sorted.count > shown.count { list += " and \(sorted.count - shown.count) more" }
            self.message = "\(what): \(list)"
        }
    }

    /// The findings behind `overall_status`, from the posture rows (the light's population) and
    /// the blocked opens of today.
    static func statusReasons(posture: [SecurityPosture.UserRow], blockedToday: [UUID: Int]) -> [StatusReason] {
        var reasons: [StatusReason] = []
        let missing = posture.filter(SecurityPosture.missesTwoFactor)
        if !missing.isEmpty {
            let roles = Dictionary(
                missing.map { ($0.email, $0.role.rawValue) }, uniquingKeysWith: { first, _ in first })
            reasons.append(
                StatusReason(
                    code: "users_missing_2fa", status: .red, emails: missing.map(\.email),
                    what: "\(missing.count) user(s) without 2FA", detail: { "\($0) (\(roles[$0] ?? "user"))" }))
        }
        let stale = posture.filter(\.staleSecret)
        if !stale.isEmpty {
            reasons.append(
                StatusReason(
                    code: "users_with_stale_secrets", status: .red, emails: stale.map(\.email),
                    what: "\(stale.count) user(s) with stale exchange secrets"))
        }
        let blocked = posture.compactMap { row in
            (blockedToday[row.userId] ?? 0) > 0 ? (row.email, blockedToday[row.userId] ?? 0) : nil
        }
        if !blocked.isEmpty {
            let attempts = Dictionary(blocked, uniquingKeysWith: { first, _ in first })
            reasons.append(
                StatusReason(
                    code: "blocked_open_attempts_today", status: .yellow, emails: blocked.map { $0.0 },
                    what: "\(blocked.reduce(0) { $0 + $1.1 }) blocked open attempt(s) today",
                    detail: { "\($0) (\(attempts[$0] ?? 0))" }))
        }
        return reasons
    }

    struct Summary: Content {
        let generatedAt: Date
        let day: String
        let overallStatus: OverallStatus
        let statusReasons: [StatusReason]
        let generatedFor: String
        @NullEncodable var incidentUrl: String?
        let filters: Filters
        let security: Security
        let operations: Operations
        let recentEvents: RecentEvents
        let profileProductivity: [ProfileRow]
        let trends_7d: [TrendDay]
        let subscriptions: Subscriptions
        let users: [UserRow]

        enum CodingKeys: String, CodingKey {
            case generatedAt, day, overallStatus, statusReasons, generatedFor, incidentUrl, filters, security,
                operations, recentEvents, subscriptions
            case profileProductivity, users
            case trends_7d = "trends_7d"
        }
    }

    func summary(scope: UserScope, maxSecretAgeDays: Int, recentHours: Int, for caller: String, now: Date? = nil)
        async throws -> Summary
    {
        let now = now ?? app.wallClock.now()
        let facts = OpsFacts(db: db, store: app.stores.opsFacts)
        let week = calendar.window(days: 7, endingAt: now)
        let today = week[week.count - 1].day
        let recentSince = now.addingTimeInterval(-Double(recentHours) * 3600)

        async let everyoneQuery = facts.users()
        async let positionsQuery = facts.positions(day: today)
        async let blockedQuery = facts.blockedOpens(week[week.count - 1])
        async let signalsQuery = facts.signals(failedSince: recentSince)
        async let lastActivityQuery = facts.lastAudited()
        let everyone = try await everyoneQuery
        let posture = try await SecurityPosture(db: db, keyRing: config.keyRing, opsFacts: app.stores.opsFacts)
            .report(realOnly: scope.realOnly, maxSecretAgeDays: maxSecretAgeDays, now: now, everyone: everyone)
        let users = Dictionary(everyone.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let (positions, blocked, signals, lastActivity) = try await (
            positionsQuery, blockedQuery, signalsQuery, lastActivityQuery
        )
        let killSwitch = try await app.killSwitch.state(on: db)
        let subscriptionTerms = try await SubscriptionStore().termsByUser(on: db)
        var standings: [SubscriptionStanding: Int] = [:]
        let book = PositionBook(app: app, db: db)
        let catalog = try await app.tradingSettings.current(on: db).profiles
        let exchangeKey = scope.exchange?.rawValue

        var rows: [UserRow] = []
        for entry in posture.users {
            guard let user = users[entry.userId] else { continue }
            let exchanges = entry.exchangesConfigured
            let traded = positions[entry.userId]?.keys.map { $0 } ?? []
            guard
                scope.includes(
                    email: entry.email,
                    exchanges: exchanges.union(traded.compactMap(Exchange.init(rawValue:))))
            else { continue }
            // This user's positions on the exchange in view, or on every exchange.
            let counts = (positions[entry.userId] ?? [:]).filter { exchangeKey == nil || $0.key == exchangeKey }.values
                .reduce(into: OpsFacts.PositionCounts()) {
                    $0.openNow += $1.openNow
                    $0.closedToday += $1.closedToday
                    $0.realizedPnLToday += $1.realizedPnLToday
                }
            rows.append(
                UserRow(
                    userId: entry.userId, email: entry.email, role: entry.role,
                    riskProfile: book.limits(
                        storedProfile: user.riskProfile, email: user.email, capital: user.capitalBaseUSD,
                        profiles: catalog
                    ).profileName,
                    twoFactorEnabled: entry.twoFactorEnabled,
                    exchangesConfigured: exchanges.sorted().map(\.rawValue),
                    staleSecret: entry.staleSecret,
                    tradesToday: counts.closedToday,
                    realizedPnlToday: counts.realizedPnLToday,
                    openPositionsNow: counts.openNow,
                    blockedOpenAttemptsToday: blocked[entry.userId] ?? 0,
                    lastActivityAt: lastActivity[entry.userId],
                    subscription: (subscriptionTerms[entry.userId] ?? .none).status,
                    subscriptionDaysLeft: (subscriptionTerms[entry.userId] ?? .none).daysLeft(at: now)))
            standings[(subscriptionTerms[entry.userId] ?? .none).standing(at: now), default: 0] += 1
        }
        let inScope = Set(rows.map(\.userId))

        let blockedToday = rows.reduce(0) { $0 + $1.blockedOpenAttemptsToday }
        // The traffic light covers the whole population of the posture (real users, or everyone),
        // not the view: filtering the table must not turn a red platform green.
        let blockedPlatformToday = posture.users.reduce(0) { $0 + (blocked[$1.userId] ?? 0) }
        let overall = OverallStatus.of(
            usersMissing2FA: posture.summary.usersMissing2fa,
            usersWithStaleSecrets: posture.summary.usersWithStaleSecrets,
            blockedOpenAttemptsToday: blockedPlatformToday)

        // Totals of the users in view, computed in the database: no filter at all needs no list.
        let everyoneInView = inScope.count == everyone.count
        let scopeIDs: Set<UUID>? = everyoneInView ? nil : inScope
        async let auditQuery = facts.auditTotals(
            days: week, recentSince: recentSince, users: scopeIDs, nobody: scope.coversPlatformEvents)
        async let tradesQuery = facts.tradeTotals(week.map(\.day), users: scopeIDs, exchange: exchangeKey)
        let (audit, trades) = try await (auditQuery, tradesQuery)
        let trends = week.enumerated().map { index, window in
            TrendDay(
                day: window.day, tradesTotal: trades[index], blockedOpenAttemptsTotal: audit.blockedByDay[index],
                errorsTotal: audit.errorsByDay[index])
        }

        let profiles = Dictionary(grouping: rows, by: \.riskProfile).map { name, members in
            let maxTrades = catalog.limits(named: name)?.maxTradesPerDay ?? 0
            let tradesToday = members.reduce(0) { $0 + $1.tradesToday }
            return ProfileRow(
                riskProfile: name, users: members.count, tradesToday: tradesToday,
                realizedPnlToday: members.reduce(0) { $0 + $1.realizedPnlToday },
                openPositionsNow: members.reduce(0) { $0 + $1.openPositionsNow },
                blockedOpenAttemptsToday: members.reduce(0) { $0 + $1.blockedOpenAttemptsToday },
                maxTradesPerDay: maxTrades,
                tradesUtilizationPct: utilizationPercent(tradesToday, of: maxTrades * members.count))
        }.sorted { $0.riskProfile < $1.riskProfile }

        return Summary(
            generatedAt: now, day: today,
            overallStatus: overall,
            statusReasons: Self.statusReasons(posture: posture.users, blockedToday: blocked),
            generatedFor: caller,
            incidentUrl: config.incidentURL?.absoluteString,
            filters: Filters(
                realOnly: scope.realOnly, maxSecretAgeDays: maxSecretAgeDays, recentHours: recentHours,
                emailContains: scope.emailContains, exchange: exchangeKey ?? "ALL",
                includeServiceUsers: scope.includeServiceUsers),
            security: Security(
                totalUsers: posture.summary.totalUsers, usersMissing2fa: posture.summary.usersMissing2fa,
                usersWithStaleSecrets: posture.summary.usersWithStaleSecrets,
                secretsOnRetiredKeys: posture.summary.secretsOnRetiredKeys,
                killSwitchEngaged: killSwitch.enabled, killSwitchReason: killSwitch.reason),
            operations: Operations(
                tradesTodayTotal: rows.reduce(0) { $0 + $1.tradesToday },
                openPositionsTotal: rows.reduce(0) { $0 + $1.openPositionsNow },
                blockedOpenAttemptsTotal: blockedToday,
                signalsPending: inScope.reduce(0) { $0 + (signals[$1]?.pending ?? 0) },
                signalsFailed24h: inScope.reduce(0) { $0 + (signals[$1]?.failedRecently ?? 0) }),
            recentEvents: RecentEvents(
                errorsLast24h: audit.recentErrors,
                pretradeBlockedLast24h: audit.recentPretradeBlocked,
                webhookAuthFailures24h: audit.recentWebhookAuthFailures),
            profileProductivity: profiles,
            trends_7d: trends,
            subscriptions: Subscriptions(
                required: config.subscriptionRequired, active: standings[.active] ?? 0,
                expiring7d: standings[.expiring] ?? 0, expired: standings[.expired] ?? 0,
                canceled: standings[.canceled] ?? 0, none: standings[.none] ?? 0),
            users: rows)
    }
}
