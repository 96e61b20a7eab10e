import Fluent
import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Risk profiles and strategy runtime policies as data, market regimes and the symbol exposure
/// limit over HTTP and in the worker (issue 25, groups 11 and 12), as crypto-saas's
/// test_admin_can_update_dynamic_risk_profile_and_affects_limits, test_strategy_runtime_policy_admin_only,
/// test_pretrade_auto_regime_and_policy_gating, test_exit_uses_regime_specific_time_limit and
/// test_exposure_limit_per_symbol_blocks_pretrade pin them.
@Suite struct TradingSettingsTests {
    static var profileBody: [String: Any] {
        [
            "max_risk_per_trade_pct": 0.4, "max_daily_loss_pct": 1.2, "max_trades_per_day": 2, "max_open_positions": 2,
            "cooldown_between_trades_minutes": 25, "max_leverage": 1.0, "stop_loss_required": true, "min_rr": 1.6,
        ]
    }

    static func policyBody(
        allowRange: Bool = true, rrRange: Double = 2.2, holdRange: Double = 180, rrBull: Double = 1.5
    ) -> [String: Any] {
        [
            "allow_bull": true, "allow_bear": true, "allow_range": allowRange, "rr_min_bull": rrBull,
            "rr_min_bear": 1.6, "rr_min_range": rrRange, "min_volume_24h_usdt_bull": 50_000_000.0,
            "min_volume_24h_usdt_bear": 70_000_000.0, "min_volume_24h_usdt_range": 90_000_000.0,
            "max_spread_bps_bull": 10.0, "max_spread_bps_bear": 8.0, "max_spread_bps_range": 7.0,
            "max_slippage_bps_bull": 15.0, "max_slippage_bps_bear": 12.0, "max_slippage_bps_range": 10.0,
            "max_hold_minutes_bull": 720.0, "max_hold_minutes_bear": 480.0, "max_hold_minutes_range": holdRange,
        ]
    }

    static func pretrade(rr: Double, atr: Double = 8.0) -> [String: Any] {
        [
            "symbol": "BTCUSDT", "side": "BUY", "qty": 0.01, "rr_estimate": rr, "trend_tf": "4H", "signal_tf": "1H",
            "timing_tf": "15M", "spread_bps": 6, "slippage_bps": 9, "volume_24h_usdt": 95_000_000,
            "market_trend_score": 0.0, "atr_pct": atr, "momentum_score": 0.0,
        ]
    }

    static func list(_ response: TestingHTTPResponse) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]] ?? []
    }

    @Test(arguments: TestDatabase.all)
    func anAdminChangesAProfileAndEveryLimitFollows(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (viewer, _) = try await client.signIn("viewer@test.com", role: .viewer)
            let (trader, _) = try await client.signIn("trader@test.com")
            let path = "ops/admin/risk/profiles/model2_conservador_productivo"
            for token in [trader, viewer] {
                #expect(try await client.send(.PUT, path, token: token, json: Self.profileBody).status == .forbidden)
                #expect(try await client.send(.GET, "ops/admin/risk/profiles", token: token).status == .forbidden)
            }
            let before = try await client.send(.GET, "ops/admin/risk/profiles", token: admin)
            #expect(before.status == .ok)
            let builtIn = try Self.list(before)
            #expect(
                builtIn.compactMap { $0["profile_name"] as? String } == [
                    "model2_conservador_productivo", "modelo_suelto_controlado",
                ])
            #expect(builtIn.first?["max_trades_per_day"] as? Int == 3)
            #expect(builtIn.first?["stop_loss_required"] as? Bool == false)

            let updated = try await client.send(.PUT, path, token: admin, json: Self.profileBody)
            #expect(updated.status == .ok, "\(updated.body.string)")
            #expect(updated.json()["profile_name"] as? String == "model2_conservador_productivo")
            #expect(updated.json()["max_trades_per_day"] as? Int == 2)
            #expect(updated.json()["max_daily_loss_pct"] as? Double == 1.2)
            #expect(updated.json()["cooldown_between_trades_minutes"] as? Double == 25)
            let after = try Self.list(try await client.send(.GET, "ops/admin/risk/profiles", token: admin))
            #expect(after.first?["max_trades_per_day"] as? Int == 2 && after.first?["min_rr"] as? Double == 1.6)
            #expect(try await client.auditCount("risk.profile.config.updated") == 1)

            // Every reader of limits: the daily compare, the trader's risk today, the open checks.
            let compare = try await client.send(.GET, "ops/risk/daily-compare?real_only=true", token: admin).json()
            let adminRow = try #require(
                (compare["users"] as? [[String: Any]])?.first { $0["email"] as? String == "admin@test.com" })
            let limits = try #require(adminRow["limits"] as? [String: Any])
            #expect(limits["max_trades_per_day"] as? Int == 2 && limits["max_daily_loss_pct"] as? Double == 1.2)
            #expect(limits["cooldown_between_trades_minutes"] as? Double == 25)
            let today = try await client.send(.GET, "positions/risk/today", token: trader).json()
            #expect(today["max_trades"] as? Int == 2 && today["cooldown_between_trades_minutes"] as? Double == 25)
            #expect(today["daily_stop"] as? Double == -120)
            #expect(today["max_risk_amount_usd"] as? Double == 40)

            // The stored profile requires a stop: an API open of a signal without one (an alert that
            // sent none) is refused.
            let traderID = try #require(
                try await User.query(on: app.db).filter(\.$email == "trader@test.com").first()?.requireID())
            let noStop = Signal.webhookRow(userID: traderID, status: .executing) { $0.stopLoss = nil }
            try await noStop.create(on: app.db)
            let refused = try await client.open(trader, signal: try noStop.requireID().uuidString, qty: 0.1)
            #expect(refused.status == .conflict)
            #expect(refused.json()["detail"] as? String == "Risk block: stop loss required")
            #expect(try await client.auditCount("position.open.blocked.stop_loss_required") == 1)
            #expect(try await Position.query(on: app.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.all)
    func newProfilesCanBeAssignedAndBadBodiesChangeNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            var tight = Self.profileBody
            tight["max_open_positions"] = 1
            tight["cooldown_between_trades_minutes"] = 0
            tight["stop_loss_required"] = false
            #expect(
                try await client.send(.PUT, "ops/admin/risk/profiles/tight_one", token: admin, json: tight).status
                    == .ok)
            let unknown = try await client.send(
                .PUT, "ops/risk/users/trader@test.com", token: admin, json: ["risk_profile": "nope"])
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.body.string.contains("tight_one"))
            let assigned = try await client.send(
                .PUT, "ops/risk/users/trader@test.com", token: admin, json: ["risk_profile": "tight_one"])
            #expect(assigned.status == .ok && assigned.json()["risk_profile"] as? String == "tight_one")
            #expect(
                try await client.send(.GET, "users/me", token: trader).json()["risk_profile"] as? String == "tight_one")
            // One open position at most, no cooldown: the second open is refused for the count.
            _ = try await client.openPosition(trader, qty: 1)
            let second = try await client.createSignal(trader, symbol: "ETHUSDT")
            _ = try await client.claim(trader)
            let refused = try await client.open(trader, signal: second, qty: 1)
            #expect(refused.status == .conflict)
            #expect(refused.json()["detail"] as? String == "Risk block: max open positions reached")

            let listed = try await client.send(.GET, "ops/admin/risk/profiles", token: admin).body.string
            let bad: [(String, Any, String)] = [
                ("max_risk_per_trade_pct", 0.001, "max_risk_per_trade_pct out of range"),
                ("max_daily_loss_pct", 51, "max_daily_loss_pct out of range"),
                ("max_trades_per_day", 0, "max_trades_per_day out of range"),
                ("max_open_positions", 101, "max_open_positions out of range"),
                ("cooldown_between_trades_minutes", 1441, "cooldown_between_trades_minutes out of range"),
                ("max_leverage", 0, "max_leverage out of range"),
                ("min_rr", 21, "min_rr out of range"),
            ]
            for (field, value, message) in bad {
                var body = Self.profileBody
                body[field] = value
                let answer = try await client.send(.PUT, "ops/admin/risk/profiles/tight_one", token: admin, json: body)
                #expect(answer.status == .badRequest, "\(field)")
                #expect(answer.json()["detail"] as? String == message)
            }
            for field in Self.profileBody.keys {
                var body = Self.profileBody
                body[field] = nil
                let answer = try await client.send(.PUT, "ops/admin/risk/profiles/tight_one", token: admin, json: body)
                #expect(answer.status == .unprocessableEntity, "missing \(field)")
            }
            var fractional = Self.profileBody
            fractional["max_trades_per_day"] = 2.5
            #expect(
                try await client.send(.PUT, "ops/admin/risk/profiles/tight_one", token: admin, json: fractional).status
                    == .unprocessableEntity)
            for name in ["two%20words", String(repeating: "a", count: 65), "%20"] {
                let answer = try await client.send(
                    .PUT, "ops/admin/risk/profiles/\(name)", token: admin, json: Self.profileBody)
                #expect(answer.status == .badRequest, "\(name)")
            }
            #expect(try await client.send(.GET, "ops/admin/risk/profiles", token: admin).body.string == listed)
            #expect(try await client.auditCount("risk.profile.config.updated") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func policiesGateByRegimeInPretradeAndExit(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            #expect(
                try await client.send(.GET, "ops/admin/strategy-runtime-policies", token: trader).status == .forbidden)
            #expect(
                try await client.send(
                    .PUT, "ops/admin/strategy-runtime-policies/SWING_V1/BINANCE", token: trader,
                    json: Self.policyBody()
                ).status == .forbidden)
            let listed = try Self.list(try await client.send(.GET, "ops/admin/strategy-runtime-policies", token: admin))
            #expect(listed.count == 8)
            let swing = try #require(
                listed.first { $0["strategy_id"] as? String == "SWING_V1" && $0["exchange"] as? String == "BINANCE" })
            #expect(swing["rr_min_bull"] as? Double == 1.5 && swing["max_hold_minutes_bull"] as? Double == 480)
            #expect(swing["allow_range"] as? Bool == false && swing["updated_at"] is NSNull)

            try await ExecutionTests.saveSecret(client, trader, "BINANCE")
            // The default policy does not allow the range regime.
            let closed = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: Self.pretrade(rr: 2.3))
            #expect(closed.json()["market_regime"] as? String == "range")
            #expect(closed.json()["passed"] as? Bool == false)

            let updated = try await client.send(
                .PUT, "ops/admin/strategy-runtime-policies/swing_v1/binance", token: admin, json: Self.policyBody())
            #expect(updated.status == .ok, "\(updated.body.string)")
            #expect(updated.json()["allow_range"] as? Bool == true && updated.json()["rr_min_range"] as? Double == 2.2)
            #expect(updated.json()["strategy_id"] as? String == "SWING_V1" && updated.json()["updated_at"] is String)
            #expect(try await client.auditCount("strategy.runtime_policy.updated") == 1)

            let blocked = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: Self.pretrade(rr: 2.0))
            #expect(blocked.status == .ok)
            #expect(blocked.json()["market_regime"] as? String == "range")
            #expect(blocked.json()["regime_source"] as? String == "auto")
            #expect(blocked.json()["passed"] as? Bool == false)
            let checks = try #require(blocked.json()["checks"] as? [[String: Any]])
            #expect(
                checks.filter { $0["passed"] as? Bool == false }.compactMap { $0["name"] as? String } == [
                    "strategy_rr_min"
                ])
            let allowed = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: Self.pretrade(rr: 2.3))
            #expect(allowed.json()["passed"] as? Bool == true && allowed.json()["market_regime"] as? String == "range")
            // Without regime inputs: bull, as the contract's requests are.
            let legacy = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: Self.pretrade(rr: 2.0, atr: 0))
            #expect(legacy.json()["market_regime"] as? String == "bull")
            #expect(legacy.json()["regime_source"] as? String == "legacy_default")
            #expect(legacy.json()["passed"] as? Bool == true)

            // Exit: the regime's time limit.
            let ibkr = try await client.send(
                .PUT, "ops/admin/strategy-runtime-policies/SWING_V1/IBKR", token: admin,
                json: Self.policyBody(holdRange: 100))
            #expect(ibkr.status == .ok)
            var exit: [String: Any] = [
                "symbol": "AAPL", "side": "BUY", "entry_price": 180, "current_price": 181, "stop_loss": 178,
                "take_profit": 185, "opened_minutes": 120, "market_trend_score": 0.0, "atr_pct": 9.0,
                "momentum_score": 0.0,
            ]
            let timed = try await client.send(.POST, "ops/execution/exit/ibkr/check", token: trader, json: exit)
            #expect(timed.json()["market_regime"] as? String == "range")
            #expect(timed.json()["should_exit"] as? Bool == true)
            #expect(timed.json()["reasons"] as? [String] == ["time_limit_reached"])
            exit["atr_pct"] = 0
            let held = try await client.send(.POST, "ops/execution/exit/ibkr/check", token: trader, json: exit)
            #expect(held.json()["market_regime"] as? String == "bull" && held.json()["should_exit"] as? Bool == false)
            exit["atr_pct"] = -1
            #expect(
                try await client.send(.POST, "ops/execution/exit/ibkr/check", token: trader, json: exit).status
                    == .unprocessableEntity)
        }
    }

    @Test(arguments: TestDatabase.all)
    func badPolicyUpdatesChangeNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let before = try await client.send(.GET, "ops/admin/strategy-runtime-policies", token: admin).body.string
            for path in ["SWING_V2/BINANCE", "SWING_V1/KRAKEN"] {
                let answer = try await client.send(
                    .PUT, "ops/admin/strategy-runtime-policies/\(path)", token: admin, json: Self.policyBody())
                #expect(answer.status == .unprocessableEntity, "\(path)")
            }
            let bad: [(String, Double)] = [
                ("rr_min_bull", 0.05), ("rr_min_range", 20.5), ("max_spread_bps_bear", -1),
                ("max_slippage_bps_range", 501), ("max_hold_minutes_range", 0.5), ("max_hold_minutes_bull", 10_081),
                ("min_volume_24h_usdt_bear", -5),
            ]
            for (field, value) in bad {
                var body = Self.policyBody()
                body[field] = value
                let answer = try await client.send(
                    .PUT, "ops/admin/strategy-runtime-policies/SWING_V1/BINANCE", token: admin, json: body)
                #expect(answer.status == .badRequest, "\(field)")
                #expect(answer.json()["detail"] as? String == "\(field) out of range")
            }
            for field in Self.policyBody().keys {
                var body = Self.policyBody()
                body[field] = nil
                let answer = try await client.send(
                    .PUT, "ops/admin/strategy-runtime-policies/INTRADAY_V1/DYDX", token: admin, json: body)
                #expect(answer.status == .unprocessableEntity, "missing \(field)")
            }
            #expect(
                try await client.send(.GET, "ops/admin/strategy-runtime-policies", token: admin).body.string == before)
            #expect(try await client.auditCount("strategy.runtime_policy.updated") == 0)
        }
    }

    /// The worker reads both: a stricter bull minimum reward/risk refuses an alert's open.
    @Test(arguments: TestDatabase.all)
    func theWorkerDecidesWithTheStoredPolicy(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (_, uuid, secret) = try await client.webhookUser()
            let updated = try await client.send(
                .PUT, "ops/admin/strategy-runtime-policies/SWING_V1/BINANCE", token: admin,
                json: Self.policyBody(rrBull: 3))
            #expect(updated.status == .ok)
            // Entry 100, stop 95, take 110: reward/risk 2, under 3.
            #expect(try await client.alert(uuid, ConcurrentOpenTests.alert(secret, "BTCUSDT", 0)).status == .accepted)
            #expect(try await ExecutionWorker.runOnce(app: app))
            let signal = try #require(try await Signal.query(on: app.db).first())
            #expect(signal.status == .rejected && signal.reasonCodes == ["strategy_rr_min"], "\(signal.reasonCodes)")
        }
    }

    @Test(arguments: TestDatabase.all)
    func symbolExposureBlocksPretradeScansAPIOpensAndTheWorker(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.symbolExposure = SymbolExposureLimit(maxOpenQty: 0.005) }) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (token, uuid, secret) = try await client.webhookUser()
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            var body = Self.pretrade(rr: 1.6, atr: 0)
            let blocked = try await client.send(.POST, "ops/execution/pretrade/binance/check", token: token, json: body)
            #expect(blocked.status == .conflict)
            #expect(blocked.json()["detail"] as? String == "Risk block: symbol exposure exceeded (0.01>0.005)")
            #expect(try await client.auditCount("execution.blocked.exposure.symbol_qty") == 1)
            #expect(try await client.auditCount("pretrade.check.blocked") == 0)
            body["qty"] = 0.005
            #expect(
                try await client.send(.POST, "ops/execution/pretrade/binance/check", token: token, json: body).json()[
                    "passed"] as? Bool == true)

            // No cooldown, so the two alerts below are limited by the exposure only.
            var open = Self.profileBody
            open["cooldown_between_trades_minutes"] = 0
            open["stop_loss_required"] = false
            #expect(
                try await client.send(
                    .PUT, "ops/admin/risk/profiles/model2_conservador_productivo", token: admin, json: open
                ).status == .ok)
            // Two alerts of 0.004 BTCUSDT at once: the second would hold 0.008.
            let alerts = (0..<2).map {
                #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"buy","price":100,"stop_loss":95,"take_profit":110,"qty":0.004,"alert_id":"x-\#($0)"}"#
            }
            for alert in alerts { #expect(try await client.alert(uuid, alert).status == .accepted) }
            #expect(try await ExecutionWorker.runOnce(app: app))
            let signals = try await Signal.query(on: app.db).all()
            #expect(signals.filter { $0.status == .opened }.count == 1)
            #expect(signals.filter { $0.status == .rejected }.map(\.reasonCodes) == [["symbol_exposure"]])
            // What is held counts in the pretrade check, the scan and an API open.
            body["qty"] = 0.002
            let held = try await client.send(.POST, "ops/execution/pretrade/binance/check", token: token, json: body)
            #expect(held.json()["detail"] as? String == "Risk block: symbol exposure exceeded (0.006>0.005)")
            let scan = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token, json: ["candidates": [body]])
            let asset = try #require((scan.json()["assets"] as? [[String: Any]])?.first)
            #expect(asset["failed_checks"] as? [String] == ["exposure_limits"])
            let apiSignal = try await client.createSignal(token, symbol: "BTCUSDT")
            _ = try await client.claim(token)
            let refused = try await client.open(token, signal: apiSignal, qty: 0.002)
            #expect(refused.status == .conflict)
            #expect(refused.json()["detail"] as? String == "Risk block: symbol exposure exceeded (0.006>0.005)")
            #expect(try await client.auditCount("position.open.blocked.symbol_exposure") == 1)
            // Another symbol is not limited by BTCUSDT's.
            let eth = try await client.createSignal(token, symbol: "ETHUSDT")
            _ = try await client.claim(token)
            #expect(try await client.open(token, signal: eth, qty: 0.004).status == .ok)
        }
    }

    /// Another instance's change (a row written behind this process's back) is read within
    /// ``TradingSettingsCache/maxAge``; this process's own change at once (``invalidate()``).
    @Test(arguments: TestDatabase.all)
    func anotherInstancesChangeIsSeenWithinTheCacheAge(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let clock = NIOLockedValueBox<TimeInterval>(100)
            let cache = TradingSettingsCache(uptime: { clock.withLockedValue { $0 } })
            #expect(try await cache.current(on: app.db).profiles.stored.isEmpty)
            let body = String(
                decoding: try JSONCoding.encode(TradingSettings.ProfileBody(TradingSettingsTestsCore.tight)),
                as: UTF8.self)
            try await RuntimeConfigStore().upsert(
                kind: .riskProfile, name: "elsewhere", body: body, by: UUID(), now: Date(), on: app.db)
            clock.withLockedValue { $0 += 1.9 }
            #expect(try await cache.current(on: app.db).profiles.stored.isEmpty)
            clock.withLockedValue { $0 += 0.2 }
            #expect(
                try await cache.current(on: app.db).profiles.limits(named: "elsewhere")
                    == TradingSettingsTestsCore.tight)
            try await RuntimeConfigStore().upsert(
                kind: .riskProfile, name: "later", body: body, by: UUID(), now: Date(), on: app.db)
            cache.invalidate()
            #expect(try await cache.current(on: app.db).profiles.names.contains("later"))
            // A row this build cannot read is an error, never silently the defaults.
            try await RuntimeConfigStore().upsert(
                kind: .strategyPolicy, name: "SWING_V9/BINANCE", body: "{}", by: UUID(), now: Date(), on: app.db)
            cache.invalidate()
            await #expect(throws: (any Error).self) { try await cache.current(on: app.db) }
        }
    }
}

/// The limits the tests above store (Core's test type is not visible here).
enum TradingSettingsTestsCore {
    static let tight = RiskProfile.Limits(
        riskPerTradePct: 0.4, maxDailyLossPct: 1.2, maxTradesPerDay: 2, maxOpenPositions: 1, cooldownMinutes: 25.5,
        minRewardRisk: 1.6, maxLeverage: 2, stopLossRequired: true)
}
