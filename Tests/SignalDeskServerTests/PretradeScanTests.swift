import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// `POST /ops/execution/pretrade/{exchange}/scan` (issue 25, group 1), as crypto-saas's
/// test_pretrade_scan_* pin it.
@Suite struct PretradeScanTests {
    static func candidate(
        _ symbol: String, rr: Double = 1.7, spread: Double = 6, trend: Double = 0.6, momentum: Double = 0.4
    ) -> [String: Any] {
        [
            "symbol": symbol, "side": "BUY", "qty": 0.01, "rr_estimate": rr, "trend_tf": "4H", "signal_tf": "1H",
            "timing_tf": "15M", "spread_bps": spread, "slippage_bps": 9, "volume_24h_usdt": 95_000_000,
            "market_trend_score": trend, "atr_pct": 3.0, "momentum_score": momentum,
        ]
    }

    static func assets(_ response: TestingHTTPResponse) -> [[String: Any]] {
        response.json()["assets"] as? [[String: Any]] ?? []
    }

    /// test_pretrade_scan_ranking_and_timing.
    @Test(arguments: TestDatabase.all)
    func scanRanksPassingCandidatesFirstAndTimesEach(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            let candidates = [
                Self.candidate("BTCUSDT"), Self.candidate("ETHUSDT", rr: 2.2, trend: 0, momentum: 0),
                Self.candidate("DOGEUSDT", spread: 40),
            ]
            let scan = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token,
                json: ["top_n": 5, "include_blocked": true, "candidates": candidates])
            #expect(scan.status == .ok)
            let body = scan.json()
            #expect(body["exchange"] as? String == "BINANCE")
            #expect(body["scanned_assets"] as? Int == 3)
            #expect(body["returned_assets"] as? Int == 3)
            #expect(body["passed_assets"] as? Int == 1)
            #expect(body["blocked_assets"] as? Int == 2)
            #expect((body["duration_ms_total"] as? Double ?? -1) >= 0)
            #expect((body["duration_ms_avg"] as? Double ?? -1) >= 0)
            let assets = Self.assets(scan)
            // BTC: 60 + 11.33 + 6 + 2 - 7.5; ETH (no trend or momentum, ATR 3 %: the `range` regime,
            // which the default policy does not allow, as crypto-saas's): 60 × 14/15 + 14.67 - 7.5;
            // DOGE (spread 40 > 10): 60 × 14/15 + 11.33 + 6 + 2 - 20.
            #expect(assets.compactMap { $0["symbol"] as? String } == ["BTCUSDT", "ETHUSDT", "DOGEUSDT"])
            #expect(assets.compactMap { $0["score"] as? Double } == [71.83, 63.17, 55.33])
            #expect(assets.compactMap { $0["passed"] as? Bool } == [true, false, false])
            #expect(assets.compactMap { $0["market_regime"] as? String } == ["bull", "range", "bull"])
            #expect(assets[1]["failed_checks"] as? [String] == ["market_regime_allowed"])
            #expect(assets.last?["failed_checks"] as? [String] == ["liq_spread_bps"])
            #expect(assets.first?["total_checks"] as? Int == 15)
            #expect(assets.first?["passed_checks"] as? Int == 15)
            #expect((assets.first?["duration_ms"] as? Double ?? -1) >= 0)
            let pretrade = try #require(assets.first?["pretrade"] as? [String: Any])
            #expect(pretrade["strategy_id"] as? String == "SWING_V1")
            #expect((pretrade["checks"] as? [[String: Any]])?.count == 15)

            let onlyPassed = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token,
                json: ["top_n": 1, "include_blocked": false, "candidates": candidates])
            #expect(onlyPassed.json()["returned_assets"] as? Int == 1)
            #expect(Self.assets(onlyPassed).compactMap { $0["symbol"] as? String } == ["BTCUSDT"])
            #expect(try await client.auditCount("pretrade.scan.completed") == 2)
            // A scan decides nothing about one candidate: no pretrade.check rows.
            #expect(try await client.auditCount("pretrade.check.passed") == 0)
        }
    }

    /// test_pretrade_scan_blocks_when_exchange_disabled_for_user.
    @Test(arguments: TestDatabase.all)
    func scanRefusesAnExchangeTheAssignmentDisables(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (token, _) = try await client.signIn("trader@test.com")
            let disabled = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "trader@test.com", "exchange": "BINANCE", "strategy_id": "SWING_V1",
                    "enabled": false,
                ])
            #expect(disabled.status == .ok)
            let blocked = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token,
                json: ["top_n": 1, "include_blocked": true, "candidates": [Self.candidate("BTCUSDT")]])
            #expect(blocked.status == .forbidden)
            #expect(blocked.json()["detail"] as? String == "Exchange BINANCE is disabled for this user")
            #expect(try await client.auditCount("execution.blocked.exchange_disabled") == 1)
            #expect(try await client.auditCount("pretrade.scan.completed") == 0)
            // Another exchange is still scanned.
            let bybit = try await client.send(
                .POST, "ops/execution/pretrade/bybit/scan", token: token,
                json: ["candidates": [Self.candidate("BTCUSDT")]])
            #expect(bybit.status == .ok)
        }
    }

    /// test_pretrade_scan_rejects_excessive_candidates, and every other bad body: 422 naming the
    /// field, nothing evaluated or audited.
    @Test(arguments: TestDatabase.all)
    func scanRefusesBadBodiesWithoutEvaluating(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("trader@test.com")
            let tooMany = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token,
                json: ["top_n": 5, "candidates": Array(repeating: Self.candidate("BTCUSDT"), count: 501)])
            #expect(tooMany.status == .unprocessableEntity)
            #expect(tooMany.body.string.contains("at most 500 candidates"))
            let fiveHundred = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token,
                json: ["top_n": 5, "candidates": Array(repeating: Self.candidate("BTCUSDT"), count: 500)])
            #expect(fiveHundred.status == .ok)
            #expect(fiveHundred.json()["returned_assets"] as? Int == 5)

            var badQty = Self.candidate("ETHUSDT")
            badQty["qty"] = "abc"
            var negative = Self.candidate("ETHUSDT")
            negative["qty"] = -1
            var badSide = Self.candidate("ETHUSDT")
            badSide["side"] = "UP"
            var huge = Self.candidate("ETHUSDT")
            huge["qty"] = 1_000_001
            let bodies: [(String, [String: Any])] = [
                ("top_n", ["top_n": 0, "candidates": [Self.candidate("BTCUSDT")]]),
                ("top_n", ["top_n": 501, "candidates": [Self.candidate("BTCUSDT")]]),
                ("candidates", ["top_n": 5]),
                ("qty", ["candidates": [Self.candidate("BTCUSDT"), badQty]]),
                ("candidates.1.qty", ["candidates": [Self.candidate("BTCUSDT"), negative]]),
                ("candidates.1.side", ["candidates": [Self.candidate("BTCUSDT"), badSide]]),
                ("candidates.0.qty", ["candidates": [huge]]),
            ]
            for (field, body) in bodies {
                let refused = try await client.send(
                    .POST, "ops/execution/pretrade/binance/scan", token: token, json: body)
                #expect(refused.status == .unprocessableEntity, "\(field): \(refused.body.string)")
                let locs = (refused.json()["detail"] as? [[String: Any]])?.compactMap {
                    ($0["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".")
                }
                #expect(locs?.contains { $0.hasSuffix(field) } ?? refused.body.string.contains(field), "\(field)")
            }
            #expect(try await client.auditCount("pretrade.scan.completed") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func scanStopsWhileTheKillSwitchIsEngaged(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (token, _) = try await client.signIn("trader@test.com")
            let engaged = try await client.send(
                .POST, "ops/admin/kill-switch", token: admin, json: ["enabled": true, "reason": "drill"])
            #expect(engaged.status == .ok)
            let halted = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: token,
                json: ["candidates": [Self.candidate("BTCUSDT")]])
            #expect(halted.status == .conflict)
            #expect(halted.json()["detail"] as? String == "Trading is globally disabled by admin kill-switch")
            #expect(try await client.auditCount("execution.blocked.kill_switch") == 1)
            #expect(try await client.auditCount("pretrade.scan.completed") == 0)
        }
    }
}
