import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

extension Client {
    func json(_ method: HTTPMethod, _ path: String, token: String) async throws -> [String: Any] {
        let response = try await send(method, path, token: token)
        guard response.status == .ok else {
            throw TestFailure("\(method) \(path): \(response.status) \(response.body.string)")
        }
        return response.json()
    }

    func list(_ path: String, token: String) async throws -> [[String: Any]] {
        let response = try await send(.GET, path, token: token)
        guard response.status == .ok else {
            throw TestFailure("GET \(path): \(response.status) \(response.body.string)")
        }
        return (try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]) ?? []
    }

    func userID(_ email: String) async throws -> UUID {
        try #require(try await User.query(on: app.db).filter(\.$email == email).first()?.id)
    }
}

@Suite struct AuditChainServerTests {
    @Test(arguments: TestDatabase.all)
    func theChainSealsConcurrentWritersAndFindsEdits(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            let (trader, _) = try await client.signIn("ana@trading.co")

            // Writers and two sealers at once: the chain must come out whole, with no fork.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await AuditLog.record(
                            .signalClaim, userID: nil, entityType: "probe", entityID: "\(index)", on: app.db)
                    }
                }
                for _ in 0..<2 {
                    group.addTask { _ = try await AuditChainSealing(app: app, db: app.db).sealPending(limit: 7) }
                }
                try await group.waitForAll()
            }
            let verified = try await client.json(.GET, "ops/audit/verify", token: admin)
            let total = try await AuditEntry.query(on: app.db).count()
            #expect(verified["valid"] as? Bool == true && verified["first_broken_id"] is NSNull)
            #expect(verified["rows"] as? Int == total)
            let sequence = try await AuditEntry.query(on: app.db).sort(\.$chainSeq).all().compactMap(\.chainSeq)
            #expect(sequence == Array(1...Int64(total)))

            // Viewers may verify; traders may not.
            #expect(try await client.send(.GET, "ops/audit/verify", token: viewer).status == .forbidden)
            #expect(try await client.send(.GET, "ops/audit/verify", token: trader).status == .forbidden)

            // An edited row is found, and only that one is named.
            let sql = app.db as! any SQLDatabase
            let victim = try #require(try await AuditEntry.query(on: app.db).filter(\.$chainSeq == 10).first())
            try await sql.raw("UPDATE audit_log SET details = '{\"forged\":true}' WHERE id = \(bind: victim.id!)").run()
            let broken = try await client.json(.GET, "ops/audit/verify", token: admin)
            #expect(broken["valid"] as? Bool == false && broken["first_broken_id"] as? Int == victim.id)
            #expect(broken["rows"] as? Int == 9)

            // Restored, the chain is whole again; a deleted row breaks the link of the next one.
            try await sql.raw("UPDATE audit_log SET details = NULL WHERE id = \(bind: victim.id!)").run()
            #expect(try await client.json(.GET, "ops/audit/verify", token: admin)["valid"] as? Bool == true)
            let next = try #require(try await AuditEntry.query(on: app.db).filter(\.$chainSeq == 21).first())
            try await sql.raw("DELETE FROM audit_log WHERE chain_seq = 20").run()
            #expect(try await client.json(.GET, "ops/audit/verify", token: admin)["first_broken_id"] as? Int == next.id)
        }
    }

    @Test(arguments: TestDatabase.all)
    func auditQueriesFilterPageAndRespectRoles(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            _ = try await client.signIn("bob@desk.io")
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            _ = try await client.createSignal(ana)
            _ = try await client.login("bob@desk.io", password: "wrong-password")
            let anaID = try await client.userID("ana@trading.co")

            let mine = try await client.list("ops/audit/me", token: ana)
            #expect(!mine.isEmpty && mine.allSatisfy { $0["user_id"] as? String == anaID.uuidString.lowercased() })
            #expect(
                Set(mine[0].keys) == ["id", "user_id", "action", "entity_type", "entity_id", "details", "created_at"])
            #expect(mine.map { $0["action"] as! String }.contains("signal.create"))
            let ids = mine.map { $0["id"] as! Int }
            #expect(ids == ids.sorted(by: >))
            #expect(try await client.send(.GET, "ops/audit/me?limit=0", token: ana).status == .unprocessableEntity)

            #expect(try await client.send(.GET, "ops/audit/all", token: ana).status == .forbidden)
            let all = try await client.send(.GET, "ops/audit/all", token: viewer)
            #expect(
                all.status == .ok && !all.body.string.contains("password-123")
                    && !all.body.string.contains("wrong-password"))

            let logins = try await client.list("ops/audit/all?action=auth.login.", token: viewer)
            #expect(Set(logins.map { $0["action"] as! String }) == ["auth.login.success", "auth.login.failed"])
            // A prefix is literal: `_` in it is not a wildcard.
            #expect(try await client.list("ops/audit/all?action=auth_login", token: viewer).isEmpty)
            let bobs = try await client.list("ops/audit/all?user_email=BOB@desk.io", token: viewer)
            let bobID = try await client.userID("bob@desk.io").uuidString.lowercased()
            #expect(!bobs.isEmpty && bobs.allSatisfy { $0["user_id"] as? String == bobID })
            #expect(
                Set(bobs.map { $0["action"] as! String }).isSuperset(of: [
                    "auth.register.success", "auth.login.success",
                ]))
            #expect(try await client.list("ops/audit/all?user_email=nobody@desk.io", token: viewer).isEmpty)
            #expect(try await client.list("ops/audit/all?since=2999-01-01", token: viewer).isEmpty)
            let everything = try await client.list("ops/audit/all", token: viewer)
            #expect(
                try await client.list("ops/audit/all?since=2020-01-01T00:00:00Z", token: viewer).count
                    == everything.count)
            let badSince = try await client.send(.GET, "ops/audit/all?since=yesterday", token: viewer)
            #expect(
                badSince.status == .unprocessableEntity && badSince.body.string.contains("since must be an ISO-8601"))

            let first = try await client.list("ops/audit/all?limit=2", token: viewer)
            let second = try await client.list(
                "ops/audit/all?limit=2&before_id=\(first[1]["id"] as! Int)", token: viewer)
            #expect(first.count == 2 && second.count == 2)
            #expect((second[0]["id"] as! Int) < (first[1]["id"] as! Int))
        }
    }
}

@Suite struct OpsReportTests {
    /// ana (trader): one trade closed today (+10), one open position, one blocked open.
    /// bob (trader, 2FA, a BINANCE secret): idle. smoke.ci@example.com: one pending signal.
    /// root (admin, the caller) and vera (viewer): service users. One failed webhook call.
    static func seed(_ client: Client) async throws -> (admin: String, viewer: String, ana: String) {
        let app = client.app
        let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
        let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
        let (ana, _) = try await client.signIn("ana@trading.co")
        _ = try await client.signIn("bob@desk.io")
        let (smoke, _) = try await client.signIn("smoke.ci@example.com")
        let bob = try await client.userID("bob@desk.io")
        try await Self.enable2FA(bob, app: app)
        try await PostureTests.addSecret(bob, .binance, ageDays: 1, app: app)

        let first = try await client.openPosition(ana)
        try await client.backdateActivity()
        #expect(try await client.close(ana, position: first, exit: 110).status == .ok)
        try await client.backdateActivity()
        _ = try await client.openPosition(ana)
        let blocked = try await client.createSignal(ana)
        _ = try await client.claim(ana)
        #expect(try await client.open(ana, signal: blocked, qty: 1).status == .conflict)
        _ = try await client.createSignal(smoke)
        #expect(
            try await client.alert(UUID().uuidString, #"{"secret":"nope","symbol":"BTCUSDT","side":"buy"}"#).status
                == .unauthorized)
        return (admin, viewer, ana)
    }

    static func enable2FA(_ userID: UUID, app: Application) async throws {
        let enrolment = TwoFactor(
            userID: userID,
            secretSealed: try app.appConfig.keyRing.seal(
                TOTP.generateSecret(), context: SealedField.totpSeed.context(owner: userID)))
        enrolment.enabled = true
        try await enrolment.create(on: app.db)
    }

    @Test(arguments: TestDatabase.all)
    func dailyCompareCountsTheTradingDay(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, viewer, ana) = try await Self.seed(client)
            let report = try await client.json(.GET, "ops/risk/daily-compare", token: admin)
            #expect(
                report["day"] as? String == TradingCalendar(timeZone: app.appConfig.tradingDayTimeZone).day(of: Date()))
            #expect(report["generated_for"] as? String == "root@trading.co")
            let users = try #require(report["users"] as? [[String: Any]])
            #expect(
                users.map { $0["email"] as! String } == [
                    "ana@trading.co", "bob@desk.io", "root@trading.co", "smoke.ci@example.com", "vera@trading.co",
                ])
            let anaRow = users[0]
            #expect(
                anaRow["risk_profile"] as? String == "model2_conservador_productivo"
                    && anaRow["role"] as? String == "trader")
            // crypto-saas's key names (contract.md, "Wire details"); the cooldown a number.
            let limits = try #require(anaRow["limits"] as? [String: Any])
            #expect(
                limits as NSDictionary == [
                    "max_risk_per_trade_pct": 0.5, "max_daily_loss_pct": 1.5, "max_trades_per_day": 3,
                    "max_open_positions": 2,
                    "cooldown_between_trades_minutes": 30.0, "min_rr": 1.5, "capital_base_usd": 10_000.0,
                ])
            let today = try #require(anaRow["today"] as? [String: Any])
            let day = try #require(report["day"] as? String)
            #expect(
                today as NSDictionary == [
                    "day": day, "trades_today": 1, "realized_pnl_today": 10.0, "daily_stop_threshold": -150.0,
                    "open_positions_now": 1,
                    "closed_positions_today": 1, "blocked_open_attempts_today": 1, "trades_utilization_pct": 33.33,
                ])
            #expect((users[1]["today"] as? [String: Any])?["trades_today"] as? Int == 0)
            #expect(users.allSatisfy { ($0["today"] as? [String: Any])?["day"] as? String == day })

            let real = try await client.json(.GET, "ops/risk/daily-compare?real_only=true", token: admin)
            #expect(
                (real["users"] as? [[String: Any]])?.map { $0["email"] as! String } == [
                    "ana@trading.co", "bob@desk.io", "root@trading.co", "vera@trading.co",
                ])
            // Admin only (contract.md): viewers and traders are refused.
            #expect(try await client.send(.GET, "ops/risk/daily-compare", token: viewer).status == .forbidden)
            #expect(try await client.send(.GET, "ops/risk/daily-compare", token: ana).status == .forbidden)
            #expect(
                try await client.send(.GET, "ops/risk/daily-compare?real_only=maybe", token: admin).status
                    == .unprocessableEntity)
        }
    }

    @Test(arguments: TestDatabase.all)
    func summaryFieldsFiltersAndStatus(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.incidentURL = URL(string: "https://status.example.org/incident") })
        { app in
            let client = Client(app: app)
            let (admin, viewer, ana) = try await Self.seed(client)
            let summary = try await client.json(.GET, "ops/dashboard/summary", token: viewer)
            let day = TradingCalendar(timeZone: app.appConfig.tradingDayTimeZone).day(of: Date())
            #expect(summary["day"] as? String == day && summary["generated_for"] as? String == "vera@trading.co")
            #expect(summary["incident_url"] as? String == "https://status.example.org/incident")
            // ana (trader) and root (admin) have no 2FA: red, whatever the view shows.
            #expect(summary["overall_status"] as? String == "red")
            #expect(
                summary["security"] as? NSDictionary == [
                    "total_users": 4, "users_missing_2fa": 2, "users_with_stale_secrets": 0,
                    "secrets_on_retired_keys": 0,
                    "kill_switch_engaged": false, "kill_switch_reason": NSNull(),
                ])
            // Why red, naming the users (an admin without 2FA is named); yellow for today's blocked open.
            let reasons = try #require(summary["status_reasons"] as? [[String: Any]])
            #expect(reasons.map { $0["code"] as? String } == ["users_missing_2fa", "blocked_open_attempts_today"])
            #expect(reasons[0]["status"] as? String == "red" && reasons[0]["users"] as? Int == 2)
            #expect(reasons[0]["emails"] as? [String] == ["ana@trading.co", "root@trading.co"])
            #expect(
                reasons[0]["message"] as? String
                    == "2 user(s) without 2FA: ana@trading.co (trader), root@trading.co (admin)")
            #expect(
                reasons[1]["status"] as? String == "yellow" && reasons[1]["emails"] as? [String] == ["ana@trading.co"])
            #expect(reasons[1]["message"] as? String == "1 blocked open attempt(s) today: ana@trading.co (1)")
            // The default view: real users, no service users (ops.bot. accounts); admins and
            // viewers are ordinary rows.
            #expect(
                (summary["users"] as? [[String: Any]])?.map { $0["email"] as! String }
                    == ["ana@trading.co", "bob@desk.io", "root@trading.co", "vera@trading.co"])
            #expect(
                summary["operations"] as? NSDictionary == [
                    "trades_today_total": 1, "open_positions_total": 1, "blocked_open_attempts_total": 1,
                    "signals_pending": 1, "signals_failed_24h": 0,
                ])
            #expect(
                summary["recent_events"] as? NSDictionary == [
                    "errors_last_24h": 0, "pretrade_blocked_last_24h": 0, "webhook_auth_failures_24h": 1,
                ])
            #expect(
                summary["profile_productivity"] as? [NSDictionary] == [
                    [
                        "risk_profile": "model2_conservador_productivo", "users": 4, "trades_today": 1,
                        "realized_pnl_today": 10.0,
                        "open_positions_now": 1, "blocked_open_attempts_today": 1, "max_trades_per_day": 3,
                        "trades_utilization_pct": 8.33,
                    ]
                ])
            let trends = try #require(summary["trends_7d"] as? [[String: Any]])
            #expect(trends.count == 7 && trends.last?["day"] as? String == day)
            #expect(trends.map { $0["day"] as! String } == trends.map { $0["day"] as! String }.sorted())
            #expect(
                trends.last as NSDictionary? == [
                    "day": day, "trades_total": 1, "blocked_open_attempts_total": 1, "errors_total": 0,
                ])
            #expect(
                trends.dropLast().allSatisfy {
                    ($0["trades_total"] as? Int) == 0 && ($0["blocked_open_attempts_total"] as? Int) == 0
                })
            let bobRow = try #require(
                (summary["users"] as? [[String: Any]])?.first { $0["email"] as? String == "bob@desk.io" })
            #expect(
                bobRow["two_factor_enabled"] as? Bool == true
                    && bobRow["exchanges_configured"] as? [String] == ["BINANCE"])
            #expect(bobRow["last_activity_at"] is String && bobRow["stale_secret"] as? Bool == false)

            // Filters narrow the view; rows that belong to nobody count only in unfiltered views.
            let anaOnly = try await client.json(.GET, "ops/dashboard/summary?email_contains=ANA", token: admin)
            #expect((anaOnly["users"] as? [[String: Any]])?.map { $0["email"] as! String } == ["ana@trading.co"])
            #expect((anaOnly["recent_events"] as? [String: Any])?["webhook_auth_failures_24h"] as? Int == 0)
            let paper = try await client.json(.GET, "ops/dashboard/summary?exchange=bybit", token: admin)
            #expect(
                (paper["users"] as? [[String: Any]])?.isEmpty == true
                    && (paper["filters"] as? [String: Any])?["exchange"] as? String == "BYBIT")
            let everyone = try await client.json(.GET, "ops/dashboard/summary?real_only=false", token: admin)
            #expect((everyone["users"] as? [[String: Any]])?.count == 5)
            // A service user (ops.bot.) shows only when asked for.
            _ = try await client.signIn("ops.bot.daily@desk.io")
            try await Self.enable2FA(try await client.userID("ops.bot.daily@desk.io"), app: app)
            let withoutBots = try await client.json(.GET, "ops/dashboard/summary?real_only=false", token: admin)
            #expect(
                (withoutBots["users"] as? [[String: Any]])?.contains {
                    $0["email"] as? String == "ops.bot.daily@desk.io"
                } == false)
            let service = try await client.json(
                .GET, "ops/dashboard/summary?include_service_users=true&real_only=false", token: admin)
            #expect((service["users"] as? [[String: Any]])?.count == 6)
            #expect((service["filters"] as? [String: Any])?["include_service_users"] as? Bool == true)
            #expect(
                try await client.send(.GET, "ops/dashboard/summary?exchange=KRAKEN", token: admin).status
                    == .unprocessableEntity)
            #expect(
                try await client.send(.GET, "ops/dashboard/summary?recent_hours=0", token: admin).status
                    == .unprocessableEntity)
            #expect(try await client.send(.GET, "ops/dashboard/summary", token: ana).status == .forbidden)

            // Everyone enrolled: yellow while an open was blocked today; green once that is history.
            try await Self.enable2FA(try await client.userID("ana@trading.co"), app: app)
            try await Self.enable2FA(try await client.userID("root@trading.co"), app: app)
            #expect(
                try await client.json(.GET, "ops/dashboard/summary", token: admin)["overall_status"] as? String
                    == "yellow")
            let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE audit_log SET created_at = \(bind: twoDaysAgo) WHERE action LIKE 'position.open.blocked.%'"
            ).run()
            let green = try await client.json(.GET, "ops/dashboard/summary", token: admin)
            #expect(green["overall_status"] as? String == "green")
            #expect((green["trends_7d"] as? [[String: Any]])?[4]["blocked_open_attempts_total"] as? Int == 1)
            // A secret older than the bound turns it red again.
            try await PostureTests.addSecret(try await client.userID("ana@trading.co"), .ibkr, ageDays: 40, app: app)
            #expect(
                try await client.json(.GET, "ops/dashboard/summary", token: admin)["overall_status"] as? String == "red"
            )
        }
    }

    @Test func theDashboardPageIsSelfContained() async throws {
        try await withTestApp(.sqlite) { app in
            let page = try await app.testing().sendRequest(.GET, "ops/dashboard")
            #expect(page.status == .ok && page.headers.contentType?.subType == "html")
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("default-src 'none'") == true)
            let html = page.body.string
            #expect(html.contains("id=\"login-form\"") && html.contains("sessionStorage"))
            // No external asset: nothing loaded from another origin (the SVG namespace is a name, not a load).
            for pattern in [
                #"src\s*=\s*["']?(https?:)?//"#, #"href\s*=\s*["'](https?:)?//"#, #"url\(\s*["']?(https?:)?//"#,
                "@import",
            ] {
                #expect(html.range(of: pattern, options: .regularExpression) == nil, "\(pattern)")
            }
            #expect(!html.contains("localStorage.setItem"))
        }
    }
}

@Suite struct SmokeCleanupTests {
    @Test(arguments: TestDatabase.all)
    func dryRunThenOneTransaction(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            let (viewer, _) = try await client.signIn("vera@trading.co", role: .viewer)
            for email in ["smoke.old@example.com", "smoke.busy@example.com", "smoke.new@example.com", "ana@trading.co"]
            {
                let (token, _) = try await client.signIn(email)
                _ = try await client.createSignal(token)
            }
            // Everything of old, busy and ana happened 20 days ago, except one login attempt of busy.
            let sql = app.db as! any SQLDatabase
            let past = Date().addingTimeInterval(-20 * 86_400)
            for email in ["smoke.old@example.com", "smoke.busy@example.com", "ana@trading.co"] {
                let id = try await client.userID(email)
                try await sql.raw(
                    "UPDATE users SET created_at = \(bind: past), updated_at = \(bind: past) WHERE id = \(bind: id)"
                ).run()
                for source in UserStore.activity {
                    try await sql.raw(
                        "UPDATE \(ident: source.table) SET \(ident: source.column) = \(bind: past) WHERE user_id = \(bind: id)"
                    ).run()
                }
                try await sql.raw("UPDATE login_attempts SET created_at = \(bind: past) WHERE email = \(bind: email)")
                    .run()
            }
            _ = try await client.login("smoke.busy@example.com", password: "wrong-password")

            let dry = try await client.send(
                .POST, "ops/admin/cleanup-smoke-users?dry_run=true&older_than_days=14", token: admin)
            #expect(dry.status == .ok)
            #expect(
                dry.json()["scanned"] as? Int == 3 && dry.json()["eligible"] as? Int == 1
                    && dry.json()["deleted"] as? Int == 0)
            let rows = try #require(dry.json()["users"] as? [[String: Any]])
            #expect(
                rows.map { $0["email"] as! String } == [
                    "smoke.busy@example.com", "smoke.new@example.com", "smoke.old@example.com",
                ])
            #expect(rows.map { $0["eligible_for_delete"] as! Bool } == [false, false, true])
            #expect(try await User.query(on: app.db).count() == 6)

            #expect(
                try await client.send(.POST, "ops/admin/cleanup-smoke-users?dry_run=false", token: viewer).status
                    == .forbidden)
            #expect(
                try await client.send(.POST, "ops/admin/cleanup-smoke-users?older_than_days=-1", token: admin).status
                    == .unprocessableEntity)

            let oldID = try await client.userID("smoke.old@example.com")
            let real = try await client.send(
                .POST, "ops/admin/cleanup-smoke-users?dry_run=false&older_than_days=14", token: admin)
            #expect(real.json()["dry_run"] as? Bool == false && real.json()["deleted"] as? Int == 1)
            #expect(try await User.query(on: app.db).filter(\.$email == "smoke.old@example.com").count() == 0)
            #expect(try await Signal.query(on: app.db).filter(\.$user.$id == oldID).count() == 0)
            #expect(try await Session.query(on: app.db).filter(\.$user.$id == oldID).count() == 0)
            #expect(try await User.query(on: app.db).count() == 5)
            // The trail stays: the audit log is append-only and chained.
            #expect(try await AuditEntry.query(on: app.db).filter(\.$userID == oldID).count() > 0)
            #expect(try await client.auditCount("ops.cleanup.smoke_users") == 2)
        }
    }
}

@Suite struct KillSwitchWorkerTests {
    @Test(arguments: TestDatabase.all)
    func theWorkerExecutesNothingWhileHalted(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            // Accepted before the halt, while no worker runs yet.
            #expect(
                try await client.alert(
                    uuid,
                    #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"buy","price":30000,"stop_loss":29000,"take_profit":33000}"#
                ).status == .accepted)
            #expect(
                try await client.send(
                    .POST, "ops/admin/kill-switch", token: admin, json: ["enabled": true, "reason": "drill"]
                ).status == .ok)
            // One worker pass, as the loop would run it: nothing is claimed while halted.
            #expect(try await ExecutionWorker.runOnce(app: app) == false)
            #expect(try await Signal.query(on: app.db).first()?.status == .created)
            #expect(try await Order.query(on: app.db).count() == 0)
            #expect(
                try await client.send(.POST, "ops/admin/kill-switch", token: admin, json: ["enabled": false]).status
                    == .ok)
            #expect(try await ExecutionWorker.runOnce(app: app) == true)
            let signal = try #require(try await Signal.query(on: app.db).first())
            #expect(signal.status == .opened, "\(signal.status) \(signal.reasonCodes)")
            #expect(try await Order.query(on: app.db).count() == 1)
        }
    }
}
