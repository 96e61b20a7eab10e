import Fluent
import Foundation
import SignalDeskCore
import SignalDeskFakes
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct StrategyAssignmentTests {
    @Test(arguments: TestDatabase.all)
    func adminsAssignAndListStrategies(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            let (trader, _) = try await client.signIn("ana@trading.co")
            try await client.register("bo@trading.co")
            let assigned = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "ana@trading.co", "exchange": "ibkr", "strategy_id": "INTRADAY_V1", "enabled": false,
                ])
            #expect(assigned.status == .ok)
            #expect(
                assigned.json()["exchange"] as? String == "IBKR"
                    && assigned.json()["strategy_id"] as? String == "INTRADAY_V1")
            #expect(
                assigned.json()["enabled"] as? Bool == false
                    && assigned.json()["user_email"] as? String == "ana@trading.co")
            _ = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "bo@trading.co", "exchange": "BINANCE", "strategy_id": "SWING_V1", "enabled": true,
                ])
            _ = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "ana@trading.co", "exchange": "BINANCE", "strategy_id": "SWING_V1", "enabled": true,
                ])
            // Re-assigning updates the row.
            _ = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "ana@trading.co", "exchange": "IBKR", "strategy_id": "SWING_V1", "enabled": false,
                ])
            let list = try await client.send(.GET, "ops/strategy/assignments", token: admin)
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]])
            #expect(
                rows.map { "\($0["user_email"]!)/\($0["exchange"]!)/\($0["strategy_id"]!)" }
                    == [
                        "ana@trading.co/BINANCE/SWING_V1", "ana@trading.co/IBKR/SWING_V1",
                        "bo@trading.co/BINANCE/SWING_V1",
                    ])

            let unknownUser = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "ghost@trading.co", "exchange": "IBKR", "strategy_id": "SWING_V1", "enabled": true,
                ])
            #expect(unknownUser.status == .notFound && unknownUser.json()["detail"] as? String == "User not found")
            for (exchange, strategy) in [("KRAKEN", "SWING_V1"), ("IBKR", "SCALP_V9")] {
                let bad = try await client.send(
                    .POST, "ops/strategy/assign", token: admin,
                    json: [
                        "user_email": "ana@trading.co", "exchange": exchange, "strategy_id": strategy, "enabled": true,
                    ])
                #expect(bad.status == .unprocessableEntity)
            }
            #expect(try await client.send(.GET, "ops/strategy/assignments", token: trader).status == .forbidden)
            #expect(try await client.auditCount("strategy.assignment.updated") == 4)
        }
    }
}

@Suite struct ExecutionTests {
    static func saveSecret(
        _ client: Client, _ token: String, _ exchange: String, key: String = "test-api-key-1234",
        secret: String = "test-api-secret-5678"
    ) async throws {
        let saved = try await client.send(
            .POST, "users/exchange-secrets", token: token,
            json: ["exchange": exchange, "api_key": key, "api_secret": secret])
        #expect(saved.status == .created)
    }

    @Test(arguments: TestDatabase.all)
    func pretradeReportsEveryCheckAndAudits(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let blocked = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: token,
                json: ["symbol": "BTCUSDT", "side": "BUY", "qty": 0.01])
            #expect(blocked.status == .ok)
            #expect(blocked.json()["passed"] as? Bool == false)
            #expect(
                blocked.json()["strategy_id"] as? String == "SWING_V1"
                    && blocked.json()["strategy_source"] as? String == "default")
            #expect(blocked.json()["risk_profile"] as? String == "model2_conservador_productivo")
            let checks = try #require(blocked.json()["checks"] as? [[String: Any]])
            // The contract's 13, then issue 25's market_regime_allowed and max_leverage.
            #expect(checks.count == 15)
            #expect(
                checks.filter { $0["passed"] as? Bool == false }.map { $0["name"] as? String } == [
                    "exchange_secret_configured"
                ])

            try await Self.saveSecret(client, token, "BINANCE")
            let passed = try await client.send(
                .POST, "ops/execution/pretrade/BINANCE/check", token: token,
                json: [
                    "symbol": "BTCUSDT", "side": "BUY", "qty": 0.01, "rr_estimate": 2.0, "trend_tf": "4H",
                    "signal_tf": "1H",
                    "timing_tf": "15M", "spread_bps": 5.0, "slippage_bps": 10.0, "volume_24h_usdt": 1e8, "in_rth": true,
                    "macro_event_block": false, "earnings_within_24h": false,
                ])
            #expect(passed.json()["passed"] as? Bool == true)
            let ibkr = try await client.send(
                .POST, "ops/execution/pretrade/ibkr/check", token: token,
                json: [
                    "symbol": "AAPL", "side": "BUY", "qty": 1, "trend_tf": "1D", "signal_tf": "30M", "timing_tf": "5M",
                    "in_rth": false,
                ])
            let names = (ibkr.json()["checks"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(
                names.dropLast(2).suffix(3) == ["ibkr_in_rth", "ibkr_no_macro_block", "ibkr_no_earnings_24h"]
                    && names.suffix(2) == ["market_regime_allowed", "max_leverage"])
            #expect(
                (ibkr.json()["checks"] as? [[String: Any]])?.filter { $0["passed"] as? Bool == false }.compactMap {
                    $0["name"] as? String
                }
                    == ["exchange_secret_configured", "ibkr_in_rth"])
            #expect(
                try await client.send(
                    .POST, "ops/execution/pretrade/kraken/check", token: token,
                    json: ["symbol": "X", "side": "BUY", "qty": 1]
                ).status == .notFound)
            #expect(
                try await client.send(
                    .POST, "ops/execution/pretrade/binance/check", token: token,
                    json: ["symbol": "X", "side": "UP", "qty": 1]
                ).status == .unprocessableEntity)
            #expect(try await client.auditCount("pretrade.check.blocked") == 2)
            #expect(try await client.auditCount("pretrade.check.passed") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func exitChecksAndSegregation(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            let hit = try await client.send(
                .POST, "ops/execution/exit/binance/check", token: token,
                json: [
                    "symbol": "BTCUSDT", "side": "BUY", "entry_price": 100, "current_price": 94, "stop_loss": 95,
                    "take_profit": 110,
                    "opened_minutes": 500,
                ])
            #expect(hit.json()["should_exit"] as? Bool == true)
            #expect(hit.json()["reasons"] as? [String] == ["stop_loss_hit", "time_limit_reached"])
            let hold = try await client.send(
                .POST, "ops/execution/exit/bybit/check", token: token,
                json: [
                    "symbol": "BTCUSDT", "side": "SELL", "entry_price": 100, "current_price": 99, "stop_loss": 105,
                    "take_profit": 90,
                ])
            #expect(hold.json()["should_exit"] as? Bool == false && hold.json()["reasons"] as? [String] == [])
            #expect(try await client.auditCount("exit.check.triggered") == 1)
            #expect(try await client.auditCount("exit.check.hold") == 1)

            _ = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: [
                    "user_email": "ana@trading.co", "exchange": "IBKR", "strategy_id": "SWING_V1", "enabled": false,
                ])
            for path in ["ops/execution/exit/ibkr/check", "ops/execution/ibkr/test-order", "ops/execution/prepare"] {
                let refused = try await client.send(
                    .POST, path, token: token,
                    json: [
                        "exchange": "IBKR", "symbol": "AAPL", "side": "BUY", "qty": 1, "entry_price": 100,
                        "current_price": 99,
                    ])
                #expect(refused.status == .forbidden, "\(path)")
                #expect(refused.json()["detail"] as? String == "Exchange IBKR is disabled for this user")
            }
            #expect(try await client.auditCount("execution.blocked.exchange_disabled") == 3)
        }
    }

    @Test(arguments: TestDatabase.all)
    func prepareIsADryRunWithAMaskedKey(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let missing = try await client.send(
                .POST, "ops/execution/prepare", token: token,
                json: ["exchange": "BINANCE", "symbol": "BTCUSDT", "side": "BUY", "qty": 0.001])
            #expect(
                missing.status == .badRequest
                    && missing.json()["detail"] as? String == "Missing credentials for BINANCE")
            try await Self.saveSecret(client, token, "BINANCE")
            let prepared = try await client.send(
                .POST, "ops/execution/prepare", token: token,
                json: ["exchange": "binance", "symbol": "btcusdt", "side": "buy", "qty": 0.001])
            #expect(prepared.status == .ok)
            #expect(
                prepared.json()["mode"] as? String == "dry_run" && prepared.json()["exchange"] as? String == "BINANCE")
            #expect(prepared.json()["symbol"] as? String == "BTCUSDT" && prepared.json()["side"] as? String == "BUY")
            #expect(prepared.json()["api_key_masked"] as? String == "tes***234")
            let preview = try #require(prepared.json()["signature_preview"] as? String)
            // crypto-saas's preview: HMAC-SHA256(secret, "BINANCE|BTCUSDT|BUY|0.001")[:12], computed with Python.
            #expect(preview == "3e41c0314936")
            #expect(!prepared.body.string.contains("test-api-secret-5678"))
            #expect(try await client.auditCount("execution.prepare") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func testOrdersReachTheFakeExchangesSigned(_ database: TestDatabase) async throws {
        let accounts = ["test-api-key-1234": "test-api-secret-5678"]
        let binance = try await FakeBinance.start(accounts: accounts)
        let bybit = try await FakeBybit.start(accounts: accounts)
        let bridge = try await FakeIBKRBridge.start(accounts: accounts)
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.binanceTestnetBaseURL = URL(string: binance.baseURL)!
                    $0.bybitBaseURL = URL(string: bybit.baseURL)!
                    $0.ibkrBridgeBaseURL = URL(string: bridge.baseURL)!
                    $0.venueTimeoutSeconds = 3
                }
            ) { app in
                let client = Client(app: app)
                let (token, _) = try await client.signIn("ana@trading.co")
                for exchange in ["BINANCE", "BYBIT", "IBKR"] { try await Self.saveSecret(client, token, exchange) }

                let ok = try await client.send(
                    .POST, "ops/execution/binance/test-order", token: token,
                    json: ["symbol": "BTCUSDT", "side": "BUY", "qty": 0.001])
                #expect(
                    ok.json() as NSDictionary == [
                        "exchange": "BINANCE", "mode": "testnet_order_test", "symbol": "BTCUSDT", "side": "BUY",
                        "qty": 0.001, "sent": true,
                    ])
                #expect(binance.requests == ["POST /api/v3/order/test"])

                binance.behavior = .status(451, body: #"{"code":0,"msg":"restricted location"}"#)
                let restricted = try await client.send(
                    .POST, "ops/execution/binance/test-order", token: token,
                    json: ["symbol": "BTCUSDT", "side": "BUY", "qty": 0.001])
                #expect(restricted.status == .badGateway)
                #expect(
                    restricted.json()["detail"] as? String
                        == #"Binance test order failed: Binance testnet error 451: {"code":0,"msg":"restricted location"}"#
                )
                binance.behavior = .delay(.seconds(6))
                let slow = try await client.send(
                    .POST, "ops/execution/binance/test-order", token: token,
                    json: ["symbol": "BTCUSDT", "side": "BUY", "qty": 0.001])
                #expect(
                    slow.json()["detail"] as? String
                        == "Binance test order failed: Binance testnet error timeout: no answer within 3 s")

                let bybitOK = try await client.send(
                    .POST, "ops/execution/bybit/test-order", token: token,
                    json: ["symbol": "ETHUSDT", "side": "SELL", "qty": 0.01])
                #expect(
                    bybitOK.json()["mode"] as? String == "testnet_order_validate"
                        && bybitOK.json()["sent"] as? Bool == true)

                let ibkrOK = try await client.send(
                    .POST, "ops/execution/ibkr/test-order", token: token,
                    json: ["symbol": "AAPL", "side": "BUY", "qty": 1])
                #expect(ibkrOK.json()["mode"] as? String == "paper_bridge_test")
                #expect((ibkrOK.json()["order_ref"] as? String)?.hasPrefix("sdtest-") == true)
                let badSymbol = try await client.send(
                    .POST, "ops/execution/ibkr/test-order", token: token,
                    json: ["symbol": "BRK.B", "side": "BUY", "qty": 1])
                #expect(
                    badSymbol.status == .badGateway
                        && badSymbol.json()["detail"] as? String
                            == "IBKR test order failed: symbol must be alphanumeric"
                )

                #expect(try await client.auditCount("execution.binance.test_order.success") == 1)
                #expect(try await client.auditCount("execution.binance.test_order.error") == 2)
                #expect(try await client.auditCount("execution.bybit.test_order.success") == 1)
                #expect(try await client.auditCount("execution.ibkr.test_order.success") == 1)
                #expect(try await client.auditCount("execution.ibkr.test_order.error") == 1)

                let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
                let health = try await client.send(.GET, "health/detailed", token: admin).json()
                #expect(
                    health["venues"] as? NSDictionary == [
                        "BINANCE": "closed", "BYBIT": "closed", "IBKR": "closed", "DYDX": "closed", "PAPER": "closed",
                    ])
            }
        } catch {
            await binance.shutdown(); await bybit.shutdown(); await bridge.shutdown()
            throw error
        }
        await binance.shutdown(); await bybit.shutdown(); await bridge.shutdown()
    }

    @Test(arguments: TestDatabase.all)
    func ibkrWithoutABridgeIsSimulated(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            try await Self.saveSecret(client, token, "IBKR", key: "short", secret: "long-enough-secret")
            let tooShort = try await client.send(
                .POST, "ops/execution/ibkr/test-order", token: token, json: ["symbol": "AAPL", "side": "BUY", "qty": 1])
            #expect(
                tooShort.json()["detail"] as? String
                    == "IBKR test order failed: API key and secret must be at least 8 characters")
            try await Self.saveSecret(client, token, "IBKR")
            let simulated = try await client.send(
                .POST, "ops/execution/ibkr/test-order", token: token, json: ["symbol": "AAPL", "side": "BUY", "qty": 1])
            #expect(simulated.json()["mode"] as? String == "paper_simulated_test")
            // contract.md's IBKR row: qty ≤ 0 is the venue's refusal, 502, audited as an error.
            for qty in [0.0, -1.0] {
                let refused = try await client.send(
                    .POST, "ops/execution/ibkr/test-order", token: token,
                    json: ["symbol": "AAPL", "side": "BUY", "qty": qty])
                #expect(
                    refused.status == .badGateway
                        && refused.json()["detail"] as? String == "IBKR test order failed: qty must be greater than 0",
                    "\(qty): \(refused.status) \(refused.body.string)")
            }
            #expect(try await client.auditCount("execution.ibkr.test_order.error") == 3)
            // The crypto venues keep 422 for a non-positive qty (contract.md's conventions).
            try await Self.saveSecret(client, token, "BINANCE")
            let binance = try await client.send(
                .POST, "ops/execution/binance/test-order", token: token,
                json: ["symbol": "BTCUSDT", "side": "BUY", "qty": 0])
            #expect(binance.status == .unprocessableEntity)
        }
    }
}
