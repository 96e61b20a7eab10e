import Foundation
import SignalDeskCore
import Testing

@Suite struct OpsRulesTests {
    @Test func overallStatusRules() {
        #expect(OverallStatus.of(usersMissing2FA: 0, usersWithStaleSecrets: 0, blockedOpenAttemptsToday: 0) == .green)
        #expect(OverallStatus.of(usersMissing2FA: 0, usersWithStaleSecrets: 0, blockedOpenAttemptsToday: 3) == .yellow)
        #expect(OverallStatus.of(usersMissing2FA: 1, usersWithStaleSecrets: 0, blockedOpenAttemptsToday: 0) == .red)
        #expect(OverallStatus.of(usersMissing2FA: 0, usersWithStaleSecrets: 2, blockedOpenAttemptsToday: 5) == .red)
    }

    @Test func auditActionClasses() {
        for action in [
            "execution.binance.test_order.error", "execution.blocked.exchange_disabled", "telegram.send.error",
        ] {
            #expect(AuditActionClass.isError(action), "\(action)")
        }
        for action in [
            "execution.binance.test_order.success", "errors.read", "position.open.blocked.cooldown", "x.errored",
        ] {
            #expect(!AuditActionClass.isError(action), "\(action)")
        }
        #expect(
            AuditActionClass.isOpenBlocked("position.open.blocked.max_trades")
                && !AuditActionClass.isOpenBlocked("position.open"))
    }

    @Test func userScopeFilters() {
        let view = UserScope(realOnly: true, includeServiceUsers: false, emailContains: "  ANA ", exchange: nil)
        #expect(view.emailContains == "ana" && !view.coversPlatformEvents)
        #expect(view.includes(email: "Ana@Trading.co", exchanges: []))
        #expect(!view.includes(email: "ana@example.com", exchanges: []))
        #expect(!view.includes(email: "bob@trading.co", exchanges: []))

        let all = UserScope(realOnly: false, includeServiceUsers: true, emailContains: "", exchange: nil)
        #expect(all.emailContains == nil && all.coversPlatformEvents)
        #expect(all.includes(email: "smoke.x@example.com", exchanges: []))
        #expect(all.includes(email: "ops.bot.daily@desk.io", exchanges: []))

        let binance = UserScope(realOnly: false, includeServiceUsers: false, emailContains: nil, exchange: .binance)
        #expect(binance.includes(email: "a@b.co", exchanges: [.binance, .ibkr]))
        #expect(!binance.includes(email: "a@b.co", exchanges: [.ibkr]))
    }

    /// contract.md "Wire details": service users are the `ops.bot.` accounts (as crypto-saas), not
    /// admins and viewers, which are ordinary rows.
    @Test func serviceUsersAreOpsBotAccounts() {
        #expect(
            ServiceUsers.isService(email: "ops.bot.daily@desk.io") && ServiceUsers.isService(email: "OPS.BOT.x@desk.io")
        )
        #expect(
            !ServiceUsers.isService(email: "ops.admin@desk.io")
                && !ServiceUsers.isService(email: "ana.ops.bot.@desk.io"))
        let defaults = UserScope(realOnly: true, includeServiceUsers: false, emailContains: nil, exchange: nil)
        #expect(!defaults.includes(email: "ops.bot.daily@desk.io", exchanges: []))
        #expect(defaults.includes(email: "root@trading.co", exchanges: []))
        let service = UserScope(realOnly: true, includeServiceUsers: true, emailContains: "bot", exchange: nil)
        #expect(service.includes(email: "ops.bot.daily@desk.io", exchanges: []))
    }

    @Test func sevenTradingDaysOldestFirstAcrossDaylightSaving() throws {
        // New York left daylight saving on 2026-11-01: that trading day lasted 25 hours.
        let calendar = TradingCalendar(timeZone: try #require(TimeZone(identifier: "America/New_York")))
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-04T15:00:00Z"))
        let week = calendar.window(days: 7, endingAt: now)
        #expect(
            week.map(\.day) == [
                "2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04",
            ])
        #expect(zip(week, week.dropFirst()).allSatisfy { $0.end == $1.start })
        #expect(week[3].end.timeIntervalSince(week[3].start) == 25 * 3600)
        #expect(week[6].start == ISO8601DateFormatter().date(from: "2026-11-04T05:00:00Z"))
        #expect(week[6].start <= now && now < week[6].end)
        // Bogota (the default) keeps UTC-5 all year.
        let bogota = TradingCalendar(timeZone: try #require(TimeZone(identifier: "America/Bogota")))
        let late = try #require(ISO8601DateFormatter().date(from: "2026-11-22T03:30:00Z"))
        #expect(bogota.window(days: 1, endingAt: late)[0].day == "2026-11-21")
    }

    @Test func utilizationAndSmokeUsers() {
        #expect(
            utilizationPercent(1, of: 3) == 33.33 && utilizationPercent(2, of: 3) == 66.67
                && utilizationPercent(5, of: 0) == 0)
        #expect(SmokeUsers.isSmoke(email: "Smoke.CI@example.com") && !SmokeUsers.isSmoke(email: "ana.smoke.@x.io"))
        let now = Date()
        #expect(SmokeUsers.eligible(lastActivity: now.addingTimeInterval(-14 * 86_400), now: now, olderThanDays: 14))
        #expect(
            !SmokeUsers.eligible(lastActivity: now.addingTimeInterval(-14 * 86_400 + 60), now: now, olderThanDays: 14))
        #expect(SmokeUsers.eligible(lastActivity: now, now: now, olderThanDays: 0))
    }
}
