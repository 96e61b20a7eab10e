import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// crypto-saas's learning endpoints (issue 25, group 13): auto-picks recorded as decisions,
/// labeled from the last known prices, rolled up per hour, reported; with crypto-saas's
/// test_learning_status_exposes_quality_rates, test_learning_endpoints_reject_invalid_ranges and
/// test_learning_endpoints_reject_invalid_filters.
@Suite struct LearningTests {
    static func token(_ client: Client, _ email: String) async throws -> String {
        let response = try await client.login(email)
        return try #require(response.json()["access_token"] as? String)
    }

    static func autoPick(_ client: Client, _ token: String, _ symbols: [String]) async throws -> TestingHTTPResponse {
        try await client.send(
            .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
            json: ["top_n": 10, "dry_run": true, "candidates": symbols.map { PretradeScanTests.candidate($0) }])
    }

    static func statuses(_ app: Application) async throws -> [String] {
        try await LearningOutcomeRow.query(on: app.db).sort(\.$symbol).all().map(\.status)
    }

    /// test_learning_status_exposes_quality_rates: the counts and rates, all zero before any decision.
    @Test(arguments: TestDatabase.all)
    func statusExposesQualityRates(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let status = try await client.send(.GET, "ops/admin/learning/status", token: admin)
            #expect(status.status == .ok)
            let body = status.json()
            for field in [
                "pending", "labeled", "expired", "no_price", "snapshots_total", "outcomes_total", "pending_rate_pct",
                "labeled_rate_pct", "expired_rate_pct", "no_price_rate_pct",
            ] {
                #expect(body[field] as? Double == 0, "\(field)")
            }
            #expect(body["generated_at"] is String)
        }
    }

    /// The whole cycle on real rows: auto-picks recorded, labeled after the horizon from the last
    /// known price (no price: no_price, then expired), reported and rolled up.
    @Test(arguments: TestDatabase.all)
    func autoPicksAreRecordedLabeledReportedAndRolledUp(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, trader, "BINANCE")
            await app.marketPrices.update("BTCUSDT", 100)

            // Three picks: BTCUSDT (a price is known), ETHUSDT (none), and an empty scan.
            #expect(
                try await Self.autoPick(client, trader, ["BTCUSDT"]).json()["decision"] as? String == "dry_run_selected"
            )
            #expect(try await Self.autoPick(client, trader, ["ETHUSDT"]).status == .ok)
            #expect(try await Self.autoPick(client, trader, []).json()["decision"] as? String == "no_candidate_passed")
            var status = try await client.send(.GET, "ops/admin/learning/status", token: admin).json()
            #expect(status["snapshots_total"] as? Int == 3)
            #expect(status["outcomes_total"] as? Int == 2)
            #expect(status["pending"] as? Int == 2)
            #expect(status["pending_rate_pct"] as? Double == 100)
            let decision = try #require(
                try await LearningDecision.query(on: app.db).filter(\.$selectedSymbol == "BTCUSDT").first())
            #expect(decision.entryPrice == 100)
            #expect(decision.dryRun)
            #expect(decision.rrEstimate == 1.7)
            #expect(decision.volume24hUSDT == 95_000_000)
            // The completed audit row names the decision (crypto-saas's learning_decision_id).
            let completed = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "pretrade.auto_pick.completed").sort(\.$id)
                    .first())
            #expect(completed.details?.contains(try #require(decision.id).uuidString.lowercased()) == true)

            // Not due yet: nothing to label.
            var run = try await client.send(.POST, "ops/admin/learning/label?dry_run=false", token: admin).json()
            #expect(run["scanned"] as? Int == 0)
            #expect(try await client.auditCount("learning.label.run") == 1)

            clock.advance(by: 61 * 60)
            let admin2 = try await Self.token(client, "admin@test.com")
            await app.marketPrices.update("BTCUSDT", 110)
            // A dry run counts and changes nothing.
            run = try await client.send(.POST, "ops/admin/learning/label?dry_run=true", token: admin2).json()
            #expect(run["dry_run"] as? Bool == true)
            #expect(run["horizon_minutes"] as? Int == 60)
            #expect(run["scanned"] as? Int == 2)
            #expect(run["labeled"] as? Int == 1)
            #expect(run["no_price"] as? Int == 1)
            #expect(run["labeled_rate_pct"] as? Double == 50)
            #expect(run["no_price_rate_pct"] as? Double == 50)
            #expect(try await Self.statuses(app) == ["pending", "pending"])
            #expect(try await client.auditCount("learning.label.run") == 1)
            // Another horizon: nothing of it.
            run = try await client.send(
                .POST, "ops/admin/learning/label?dry_run=false&horizon_minutes=120", token: admin2
            ).json()
            #expect(run["scanned"] as? Int == 0)
            #expect(run["horizon_minutes"] as? Int == 120)

            run = try await client.send(.POST, "ops/admin/learning/label?dry_run=false&limit=10", token: admin2).json()
            #expect(run["labeled"] as? Int == 1)
            #expect(run["no_price"] as? Int == 1)
            #expect(try await Self.statuses(app) == ["labeled", "no_price"])
            #expect(try await client.auditCount("learning.label.run") == 3)
            let labeled = try #require(
                try await LearningOutcomeRow.query(on: app.db).filter(\.$symbol == "BTCUSDT").first())
            #expect(labeled.exitPrice == 110)
            #expect(labeled.priceSource == "last_known_price")
            #expect(abs((labeled.returnPct ?? 0) - 10) < 1e-9)
            #expect(abs((labeled.pnlQuote ?? 0) - 0.1) < 1e-9)
            #expect(labeled.hit == true)
            status = try await client.send(.GET, "ops/admin/learning/status", token: admin2).json()
            #expect(status["labeled"] as? Int == 1)
            #expect(status["no_price"] as? Int == 1)
            #expect(status["labeled_rate_pct"] as? Double == 50)
            #expect(status["no_price_rate_pct"] as? Double == 50)
            #expect(status["pending_rate_pct"] as? Double == 0)

            // The dataset: every decision, newest first, with its outcome.
            let dataset = try await client.send(.GET, "ops/admin/learning/dataset?hours=24&limit=100", token: admin2)
            #expect(dataset.status == .ok)
            let rows = try #require(dataset.json()["rows"] as? [[String: Any]])
            #expect(rows.count == 3)
            #expect(rows.filter { $0["outcome_status"] is NSNull }.count == 1)
            let btc = try #require(rows.first { $0["symbol"] as? String == "BTCUSDT" })
            #expect(btc["outcome_status"] as? String == "labeled")
            #expect(btc["hit"] as? Bool == true)
            #expect(btc["tenant_id"] as? String == "default")
            #expect(btc["exchange"] as? String == "BINANCE")
            #expect(btc["decision"] as? String == "dry_run_selected")
            #expect(btc["selected"] as? Bool == true)
            #expect(btc["dry_run"] as? Bool == true)
            #expect(btc["horizon_minutes"] as? Int == 60)
            #expect(btc["volume_24h_usdt"] as? Double == 95_000_000)
            #expect(btc["selected_score_rules"] is NSNull)
            #expect(btc["due_at"] is String)
            for (query, count) in [
                ("outcome_status=labeled", 1), ("outcome_status=NO_PRICE", 1), ("outcome_status=pending", 0),
                ("exchange=ibkr", 0), ("exchange=BINANCE", 3), ("limit=1", 1),
            ] {
                let filtered = try await client.send(.GET, "ops/admin/learning/dataset?\(query)", token: admin2)
                #expect((filtered.json()["rows"] as? [[String: Any]])?.count == count, "\(query)")
            }

            // The suggestion report: decisions with an outcome; no model, so nothing is predicted.
            let report = try await client.send(.GET, "ops/admin/learning/suggestion-report", token: admin2).json()
            #expect(report["total_rows"] as? Int == 2)
            #expect(report["success_rate_pct"] is NSNull)
            let reportRows = try #require(report["rows"] as? [[String: Any]])
            #expect(reportRows.allSatisfy { $0["user_email"] as? String == "trader@test.com" })
            #expect(reportRows.allSatisfy { $0["suggestion_success"] is NSNull })
            let btcRow = try #require(reportRows.first { $0["symbol"] as? String == "BTCUSDT" })
            #expect(btcRow["side"] as? String == "BUY")
            #expect(btcRow["score_base"] as? Double == btcRow["score_final"] as? Double)
            let labeledOnly = try await client.send(
                .GET, "ops/admin/learning/suggestion-report?outcome_status=LABELED", token: admin2
            ).json()
            #expect(labeledOnly["total_rows"] as? Int == 1)

            // Past the grace period the price-less outcome expires.
            clock.advance(by: 180 * 60)
            let admin3 = try await Self.token(client, "admin@test.com")
            run = try await client.send(.POST, "ops/admin/learning/label?dry_run=false", token: admin3).json()
            #expect(run["scanned"] as? Int == 1)
            #expect(run["expired"] as? Int == 1)
            #expect(run["expired_rate_pct"] as? Double == 100)
            #expect(try await Self.statuses(app) == ["labeled", "expired"])

            // Rollups: a dry run computes, a refresh replaces the window's rows.
            var refresh = try await client.send(
                .POST, "ops/admin/learning/rollup/refresh?hours=24&dry_run=true", token: admin3
            ).json()
            #expect(refresh["groups"] as? Int == 1)
            #expect(refresh["upserted"] as? Int == 0)
            #expect(refresh["processed_rows"] as? Int == 1)
            #expect(refresh["max_rows"] as? Int == 50_000)
            #expect(refresh["truncated"] as? Bool == false)
            #expect(try await LearningRollupHour.query(on: app.db).count() == 0)
            for _ in 0..<2 {
                refresh = try await client.send(.POST, "ops/admin/learning/rollup/refresh", token: admin3).json()
                #expect(refresh["hours"] as? Int == 48)
                #expect(refresh["dry_run"] as? Bool == false)
                #expect(refresh["upserted"] as? Int == 1)
            }
            let rollup = try #require(try await LearningRollupHour.query(on: app.db).all().first)
            #expect(try await LearningRollupHour.query(on: app.db).count() == 1)
            #expect(rollup.samples == 1)
            #expect(rollup.hitRatePct == 100)
            #expect(rollup.symbol == "BTCUSDT")
            #expect(abs(rollup.avgReturnPct - 10) < 1e-6)
            #expect(try await client.auditCount("learning.rollup.refreshed") == 2)

            // Health: the last 24 hours hold the three decisions; half the outcomes expired: red.
            let health = try await client.send(.GET, "ops/admin/learning/health", token: admin3)
            #expect(health.status == .ok)
            let body = health.json()
            #expect(body["exchange"] as? String == "ALL")
            #expect(body["semaphore"] as? String == "red")
            let windows = try #require(body["windows"] as? [[String: Any]])
            #expect(windows.map { $0["label"] as? String } == ["24h", "7d", "30d", "6m", "1y"])
            let day = windows[0]
            #expect(day["decisions_total"] as? Int == 3)
            #expect(day["outcomes_total"] as? Int == 2)
            #expect(day["labeled"] as? Int == 1)
            #expect(day["expired"] as? Int == 1)
            #expect(day["expired_rate_pct"] as? Double == 50)
            #expect(day["hit_rate_pct"] as? Double == 100)
            #expect(day["avg_return_pct"] as? Double == 10)
            let experience = try #require(body["experience"] as? [String: Any])
            #expect(experience["snapshots_total"] as? Int == 3)
            #expect(experience["labeled_total"] as? Int == 1)
            #expect(experience["rollup_rows_total"] as? Int == 1)
            #expect(experience["lifetime_days"] as? Int == 0)
            #expect(experience["last_rollup_at"] is String)
            let ibkr = try await client.send(.GET, "ops/admin/learning/health?exchange=IBKR", token: admin3).json()
            #expect(ibkr["exchange"] as? String == "IBKR")
            #expect((ibkr["windows"] as? [[String: Any]])?.first?["decisions_total"] as? Int == 0)
            #expect((ibkr["experience"] as? [String: Any])?["first_snapshot_at"] is NSNull)
        }
    }

    /// test_learning_endpoints_reject_invalid_ranges and _filters, and every other parameter:
    /// 400 with crypto-saas's message (422 for what is not a number or a boolean), nothing changed.
    @Test(arguments: TestDatabase.all)
    func invalidRangesAndFiltersAre400sAndChangeNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, trader, "BINANCE")
            await app.marketPrices.update("BTCUSDT", 100)
            #expect(try await Self.autoPick(client, trader, ["BTCUSDT"]).status == .ok)
            clock.advance(by: 61 * 60)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let auditBefore = try await client.auditActions().count

            let refusals: [(HTTPMethod, String, String)] = [
                (.POST, "label?dry_run=false&horizon_minutes=1&limit=0", "horizon_minutes must be between 5 and 10080"),
                (.POST, "label?dry_run=false&horizon_minutes=10081", "horizon_minutes must be between 5 and 10080"),
                (.POST, "label?dry_run=false&limit=0", "limit must be between 1 and 5000"),
                (.POST, "label?dry_run=false&limit=5001", "limit must be between 1 and 5000"),
                (.POST, "rollup/refresh?hours=0&dry_run=false", "hours must be between 1 and 720"),
                (.POST, "rollup/refresh?hours=721", "hours must be between 1 and 720"),
                (.GET, "dataset?hours=0", "hours must be between 1 and 720"),
                (.GET, "dataset?limit=5001", "limit must be between 1 and 5000"),
                (
                    .GET, "dataset?hours=24&limit=100&exchange=BADX",
                    "exchange must be one of: ALL, BINANCE, BYBIT, DYDX, IBKR"
                ),
                (
                    .GET, "dataset?outcome_status=WRONG",
                    "outcome_status must be one of: ALL, EXPIRED, LABELED, NO_PRICE, PENDING"
                ),
                (.GET, "suggestion-report?hours=721", "hours must be between 1 and 720"),
                (.GET, "suggestion-report?limit=0", "limit must be between 1 and 5000"),
                (
                    .GET, "suggestion-report?hours=24&limit=100&outcome_status=WRONG",
                    "outcome_status must be one of: ALL, EXPIRED, LABELED, NO_PRICE, PENDING"
                ),
                (.GET, "suggestion-report?exchange=KRAKEN", "exchange must be one of: ALL, BINANCE, BYBIT, DYDX, IBKR"),
                (.GET, "health?exchange=BADX", "exchange must be one of: ALL, BINANCE, BYBIT, DYDX, IBKR"),
            ]
            for (method, path, message) in refusals {
                let response = try await client.send(method, "ops/admin/learning/" + path, token: admin)
                #expect(response.status == .badRequest, "\(path)")
                #expect(response.json()["detail"] as? String == message, "\(path)")
            }
            for (method, path) in [
                (HTTPMethod.POST, "label?dry_run=maybe"), (.POST, "label?limit=ten"),
                (.POST, "label?horizon_minutes=1.5"),
                (.POST, "rollup/refresh?hours=abc"), (.POST, "rollup/refresh?dry_run=2"), (.GET, "dataset?hours=x"),
                (.GET, "suggestion-report?limit=1e3"),
            ] {
                let response = try await client.send(method, "ops/admin/learning/" + path, token: admin)
                #expect(response.status == .unprocessableEntity, "\(path)")
            }
            // Nothing was labeled, rolled up or audited.
            #expect(try await Self.statuses(app) == ["pending"])
            #expect(try await LearningRollupHour.query(on: app.db).count() == 0)
            #expect(try await client.auditActions().count == auditBefore)
            // The bounds themselves are accepted.
            for path in [
                "label?horizon_minutes=5&limit=5000", "label?horizon_minutes=10080&limit=1",
                "rollup/refresh?hours=720&dry_run=true",
            ] {
                #expect(
                    try await client.send(.POST, "ops/admin/learning/" + path, token: admin).status == .ok, "\(path)")
            }
            for path in ["dataset?hours=720&limit=5000", "suggestion-report?hours=1&limit=1", "health?exchange=dydx"] {
                #expect(
                    try await client.send(.GET, "ops/admin/learning/" + path, token: admin).status == .ok, "\(path)")
            }
        }
    }

    /// `limit` takes the oldest due outcomes first; `hours` keeps the decisions of the window only.
    @Test(arguments: TestDatabase.all)
    func limitTakesTheOldestDueFirstAndHoursBoundTheWindow(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, trader, "BINANCE")
            await app.marketPrices.update("BTCUSDT", 100)
            await app.marketPrices.update("ETHUSDT", 50)
            #expect(try await Self.autoPick(client, trader, ["BTCUSDT"]).status == .ok)
            clock.advance(by: 2 * 3600)
            let trader2 = try await Self.token(client, "trader@test.com")
            #expect(try await Self.autoPick(client, trader2, ["ETHUSDT"]).status == .ok)
            clock.advance(by: 61 * 60)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let run = try await client.send(.POST, "ops/admin/learning/label?dry_run=false&limit=1", token: admin)
            #expect(run.json()["scanned"] as? Int == 1)
            #expect(run.json()["labeled"] as? Int == 1)
            #expect(try await Self.statuses(app) == ["labeled", "pending"])
            for (path, symbols) in [
                ("dataset?hours=2", ["ETHUSDT"]), ("dataset?hours=4", ["ETHUSDT", "BTCUSDT"]),
                ("suggestion-report?hours=2", ["ETHUSDT"]), ("suggestion-report?hours=4&limit=1", ["ETHUSDT"]),
            ] {
                let response = try await client.send(.GET, "ops/admin/learning/" + path, token: admin).json()
                let rows = response["rows"] as? [[String: Any]] ?? []
                #expect(rows.map { $0["symbol"] as? String } == symbols, "\(path)")
                #expect(
                    response["hours"] as? Int == Int(path.split(separator: "=")[1].prefix { $0.isNumber }), "\(path)")
            }
        }
    }

    /// The pipeline in `serve` labels due outcomes on each step and refreshes the rollups when
    /// their interval has passed.
    @Test(arguments: TestDatabase.all)
    func thePipelineLoopLabelsEachStepAndRollsUpOnItsInterval(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, trader, "BINANCE")
            await app.marketPrices.update("BTCUSDT", 100)
            #expect(try await Self.autoPick(client, trader, ["BTCUSDT"]).status == .ok)
            let pipeline = LearningPipelineLoop(labelIntervalMinutes: 5, rollupIntervalMinutes: 60)
            var run = try await pipeline.step(app: app)
            #expect(run.label.scanned == 0)
            #expect(run.rollup?.groups == 0)
            clock.advance(by: 61 * 60)
            await app.marketPrices.update("BTCUSDT", 90)
            run = try await pipeline.step(app: app)
            #expect(run.label.labeled == 1)
            #expect(run.rollup?.upserted == 1)
            let outcome = try #require(try await LearningOutcomeRow.query(on: app.db).first())
            #expect(outcome.status == "labeled")
            #expect(outcome.hit == false)
            #expect(abs((outcome.returnPct ?? 0) + 10) < 1e-9)
            #expect(try await LearningRollupHour.query(on: app.db).count() == 1)
            // Within the rollup interval only labeling runs; the background writes no audit row.
            clock.advance(by: 5 * 60)
            run = try await pipeline.step(app: app)
            #expect(run.rollup == nil)
            #expect(try await client.auditCount("learning.label.run") == 0)
            #expect(try await client.auditCount("learning.rollup.refreshed") == 0)
        }
    }

    @Test func thePipelineSettingsHaveCryptoSaasDefaultsAndRanges() throws {
        let minimal = ConfigTests.minimal
        let config = try AppConfig.parse(environment: minimal, production: false)
        #expect(config.learningPipelineEnabled)
        #expect(config.learningLabelIntervalMinutes == 5)
        #expect(config.learningRollupIntervalMinutes == 60)
        let set = try AppConfig.parse(
            environment: minimal.merging([
                "LEARNING_PIPELINE_ENABLED": "false", "LEARNING_LABEL_INTERVAL_MINUTES": "1",
                "LEARNING_ROLLUP_INTERVAL_MINUTES": "1440",
            ]) { $1 }, production: false)
        #expect(!set.learningPipelineEnabled)
        #expect(set.learningLabelIntervalMinutes == 1)
        #expect(set.learningRollupIntervalMinutes == 1440)
        for (name, value) in [
            ("LEARNING_LABEL_INTERVAL_MINUTES", "0"), ("LEARNING_ROLLUP_INTERVAL_MINUTES", "1441"),
            ("LEARNING_PIPELINE_ENABLED", "maybe"),
        ] {
            #expect(throws: (any Error).self, "\(name)") {
                try AppConfig.parse(environment: minimal.merging([name: value]) { $1 }, production: false)
            }
        }
    }

    /// Admin only, as crypto-saas's require_role("admin"): traders and viewers get 403.
    @Test(arguments: TestDatabase.all)
    func onlyAdminsReachTheLearningEndpoints(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("trader@test.com")
            let (viewer, _) = try await client.signIn("viewer@test.com", role: .viewer)
            for token in [trader, viewer] {
                for (method, path) in [
                    (HTTPMethod.GET, "status"), (.GET, "health"), (.GET, "dataset"), (.GET, "suggestion-report"),
                    (.POST, "label?dry_run=false"), (.POST, "rollup/refresh"),
                ] {
                    #expect(
                        try await client.send(method, "ops/admin/learning/" + path, token: token).status == .forbidden)
                }
            }
            #expect(try await client.send(.GET, "ops/admin/learning/status").status == .unauthorized)
        }
    }
}
