import Fluent
import Foundation
import SignalDeskCore
import SignalDeskFakes
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Exchange `DYDX` wherever an exchange is named (issue 23, step 1), on both databases.
@Suite struct DydxExchangeTests {
    static let abandon = Array(repeating: "abandon", count: 11).joined(separator: " ") + " about"

    /// A wallet user with a testnet mnemonic: its access token, webhook uuid and secret, account name.
    static func walletTrader(_ client: Client, mnemonic: Bool = true) async throws -> (
        token: String, uuid: String, secret: String, email: String
    ) {
        let wallet = TestWallet.random()
        let (token, _, created) = try await client.walletSignIn(wallet)
        if mnemonic {
            let saved = try await client.send(
                .POST, "api/user/credentials", token: token, json: ["dydx_testnet_mnemonic": abandon])
            #expect(saved.status == .ok)
        }
        let info = try await client.send(.GET, "webhooks/info", token: token).json()
        return (token, info["webhook_uuid"] as! String, created!, "\(wallet.address.lowercased())@wallet.invalid")
    }

    static var pretrade: [String: Any] {
        [
            "symbol": "BTC-USD", "side": "buy", "qty": 0.01, "rr_estimate": 2.0, "trend_tf": "1H", "signal_tf": "15M",
            "timing_tf": "5M", "spread_bps": 5.0, "slippage_bps": 10.0, "volume_24h_usdt": 1e8,
        ]
    }

    static func checks(_ body: [String: Any]) -> [String: Bool] {
        Dictionary(
            uniqueKeysWithValues: (body["checks"] as? [[String: Any]] ?? []).map {
                ($0["name"] as! String, $0["passed"] as! Bool)
            })
    }

    @Test(arguments: TestDatabase.all)
    func strategyPretradeExitAndSecretsKnowDydx(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@dydx.co", role: .admin)
            let trader = try await Self.walletTrader(client)
            let (plain, _) = try await client.signIn("ana@dydx.co")

            let assigned = try await client.send(
                .POST, "ops/strategy/assign", token: admin,
                json: ["user_email": trader.email, "exchange": "dydx", "strategy_id": "INTRADAY_V1", "enabled": true])
            #expect(assigned.status == .ok, "\(assigned.body.string)")
            #expect(assigned.json()["exchange"] as? String == "DYDX")

            // INTRADAY_V1's crypto row; the mnemonic for DYDX_NETWORK is the venue's credential.
            let passed = try await client.send(
                .POST, "ops/execution/pretrade/dydx/check", token: trader.token, json: Self.pretrade)
            #expect(passed.status == .ok, "\(passed.body.string)")
            let answer = passed.json()
            #expect(answer["exchange"] as? String == "DYDX")
            #expect(answer["strategy_id"] as? String == "INTRADAY_V1")
            #expect(answer["passed"] as? Bool == true, "\(passed.body.string)")
            let names = (answer["checks"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(Array(names.dropLast(2).suffix(3)) == ["liq_volume_24h", "liq_spread_bps", "liq_slippage_bps"])

            var wide = Self.pretrade
            wide["spread_bps"] = 9.0
            let blocked = try await client.send(
                .POST, "ops/execution/pretrade/DYDX/check", token: trader.token, json: wide
            ).json()
            #expect(Self.checks(blocked)["liq_spread_bps"] == false)

            // Without a mnemonic (an API key pair for another venue does not count).
            _ = try await client.send(
                .POST, "users/exchange-secrets", token: plain,
                json: ["exchange": "BINANCE", "api_key": "key-123456", "api_secret": "secret-123456"])
            let unconfigured = try await client.send(
                .POST, "ops/execution/pretrade/dydx/check", token: plain, json: Self.pretrade
            ).json()
            #expect(Self.checks(unconfigured)["exchange_secret_configured"] == false)
            // SWING_V1 (no assignment) on DYDX wants 4H/1H/15M.
            #expect(Self.checks(unconfigured)["strategy_trend_tf"] == false)

            let exit = try await client.send(
                .POST, "ops/execution/exit/dydx/check", token: trader.token,
                json: [
                    "symbol": "BTC-USD", "side": "sell", "entry_price": 60000, "current_price": 61000,
                    "stop_loss": 60500, "take_profit": 58000, "opened_minutes": 240, "macro_event_block": true,
                ])
            #expect(exit.status == .ok, "\(exit.body.string)")
            #expect(exit.json()["reasons"] as? [String] == ["stop_loss_hit", "time_limit_reached"])
            #expect(exit.json()["exchange"] as? String == "DYDX")

            // A DYDX credential is a mnemonic, never an API key pair.
            let secret = try await client.send(
                .POST, "users/exchange-secrets", token: trader.token,
                json: ["exchange": "dydx", "api_key": "key-123456", "api_secret": "secret-123456"])
            #expect(secret.status == .unprocessableEntity)
            let deleted = try await client.send(.DELETE, "users/exchange-secrets/DYDX", token: trader.token)
            #expect(deleted.status == .badRequest)
            #expect(deleted.json()["detail"] as? String == "exchange must be BINANCE, IBKR or BYBIT")
            let prepare = try await client.send(
                .POST, "ops/execution/prepare", token: trader.token,
                json: ["exchange": "DYDX", "symbol": "BTC-USD", "side": "buy", "qty": 0.01])
            #expect(prepare.status == .unprocessableEntity)
            let testOrder = try await client.send(
                .POST, "ops/execution/dydx/test-order", token: trader.token,
                json: ["symbol": "BTC-USD", "side": "buy", "qty": 0.01])
            #expect(testOrder.status == .unprocessableEntity)
            #expect(!prepare.body.string.contains("abandon") && !testOrder.body.string.contains("abandon"))

            let signal = try await client.send(
                .POST, "signals", token: trader.token,
                json: [
                    "symbol": "BTC-USD", "module": "manual", "base_risk_percent": 0.5, "entry_price": 60000,
                    "stop_loss": 59000, "take_profit": 62000, "exchange": "dydx",
                ])
            #expect(signal.status == .ok, "\(signal.body.string)")
            #expect(signal.json()["exchange"] as? String == "DYDX")
            let unknown = try await client.send(
                .POST, "signals", token: trader.token,
                json: [
                    "symbol": "BTC-USD", "module": "manual", "base_risk_percent": 0.5, "entry_price": 60000,
                    "stop_loss": 59000, "take_profit": 62000, "exchange": "ftx",
                ])
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.body.string.contains("DYDX"))
        }
    }

    @Test(arguments: TestDatabase.all)
    func postureAndDashboardFilterShowDydxUsers(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("root@dydx.co", role: .admin)
            let trader = try await Self.walletTrader(client)
            let bare = try await Self.walletTrader(client, mnemonic: false)

            let posture = try await client.send(.GET, "ops/security/posture?real_only=false", token: admin).json()
            let rows = try #require(posture["users"] as? [[String: Any]])
            let byEmail = Dictionary(uniqueKeysWithValues: rows.map { ($0["email"] as! String, $0) })
            #expect(byEmail[trader.email]?["dydx_secret_configured"] as? Bool == true)
            #expect(byEmail[bare.email]?["dydx_secret_configured"] as? Bool == false)
            #expect(byEmail["root@dydx.co"]?["dydx_secret_configured"] as? Bool == false)
            // A mnemonic is not an API secret to rotate: no secret age.
            #expect(byEmail[trader.email]?["oldest_secret_age_days"] is NSNull)
            #expect(!String(describing: posture).contains("abandon"))

            let summary = try await client.send(
                .GET, "ops/dashboard/summary?real_only=false&exchange=dydx", token: admin)
            #expect(summary.status == .ok, "\(summary.body.string)")
            let users = try #require(summary.json()["users"] as? [[String: Any]])
            #expect(users.compactMap { $0["email"] as? String } == [trader.email])
            let bad = try await client.send(.GET, "ops/dashboard/summary?exchange=FTX", token: admin)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("DYDX"))
        }
    }

    /// A `-USD` alert in the dYdX service's format from a wallet user becomes a DYDX signal and,
    /// in paper mode, a DYDX position that a close alert for the same symbol closes.
    @Test(arguments: TestDatabase.all)
    func aDashUSDAlertTradesOnDydxInPaperMode(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.paperSlippageBps = 0 }) { app in
            try await startEngine(app)
            let client = Client(app: app)
            let trader = try await Self.walletTrader(client)
            let opened = try await client.send(
                .POST, "api/webhooks/signal/\(trader.uuid)",
                json: [
                    "secret": trader.secret, "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000,
                    "order_type": "market", "take_profit": 63000, "stop_loss": 58500, "alert_id": "d-1",
                ])
            #expect(opened.status == .accepted, "\(opened.body.string)")
            #expect(
                try await eventually(15) {
                    try await Position.query(on: app.db).filter(\.$status == .open).count() == 1
                })
            let signal = try #require(try await Signal.query(on: app.db).first())
            #expect(signal.exchange == "DYDX")
            #expect(signal.symbol == "BTC-USD")
            let positions = try await client.send(.GET, "positions", token: trader.token)
            let list = try #require(
                try JSONSerialization.jsonObject(with: Data(positions.body.readableBytesView)) as? [[String: Any]])
            #expect(list.first?["exchange"] as? String == "DYDX")
            #expect(list.first?["symbol"] as? String == "BTC-USD")
            #expect(list.first?["qty"] as? Double == 0.01)

            // The same alert naming another exchange goes there.
            let elsewhere = try await client.send(
                .POST, "api/webhooks/signal/\(trader.uuid)",
                json: [
                    "secret": trader.secret, "symbol": "ETH-USD", "side": "buy", "size": 0.1, "price": 3000,
                    "exchange": "bybit", "alert_id": "d-2",
                ])
            #expect(elsewhere.status == .accepted)
            #expect(
                try await eventually(15) {
                    try await Signal.query(on: app.db).filter(\.$symbol == "ETHUSDT").first()?.exchange == "BYBIT"
                })

            let closed = try await client.send(
                .POST, "webhooks/tradingview/\(trader.uuid)",
                json: [
                    "secret": trader.secret, "symbol": "BTC-USD", "side": "close", "price": 61000, "alert_id": "d-3",
                ])
            #expect(closed.status == .accepted)
            #expect(
                try await eventually(15) {
                    try await Position.query(on: app.db).filter(\.$symbol == "BTC-USD").first()?.status == .closed
                })
            let position = try #require(try await Position.query(on: app.db).filter(\.$symbol == "BTC-USD").first())
            #expect(position.exchange == "DYDX")
            #expect(position.closeReason == "signal_close")
        }
    }

    /// Outside paper mode a DYDX signal needs a mnemonic for DYDX_NETWORK; a node's refusal (here
    /// a signature for another chain id) fails the signal with the chain's raw_log, no secret.
    @Test(arguments: TestDatabase.all)
    func outsidePaperModeDydxNeedsTheMnemonicAndANodesRefusalFailsTheSignal(_ database: TestDatabase)
        async throws
    {
        let chain = try await FakeDydxChain.start()
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.executionMode = .testnet
                    $0.dydxIndexerURL = URL(string: chain.baseURL)
                    $0.dydxNodeRESTURL = URL(string: chain.baseURL)
                    $0.dydxChainID = "dydx-testnet-5"
                }
            ) { app in
                let client = Client(app: app)
                let bare = try await Self.walletTrader(client, mnemonic: false)
                let alert: [String: Any] = [
                    "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000, "stop_loss": 58500,
                    "take_profit": 63000,
                ]
                var first = alert
                first["secret"] = bare.secret
                _ = try await client.send(.POST, "api/webhooks/signal/\(bare.uuid)", json: first)
                #expect(try await ExecutionWorker.runOnce(app: app))
                let refused = try #require(try await Signal.query(on: app.db).first())
                #expect(refused.status == .rejected)
                #expect(refused.reasonCodes == ["exchange_secret_configured"])

                let trader = try await Self.walletTrader(client)
                var second = alert
                second["secret"] = trader.secret
                _ = try await client.send(.POST, "api/webhooks/signal/\(trader.uuid)", json: second)
                #expect(try await ExecutionWorker.runOnce(app: app))
                let failed = try #require(
                    try await Signal.query(on: app.db).filter(\.$status == .failed).first())
                #expect(failed.exchange == "DYDX")
                let reason = failed.reasonCodes.joined()
                #expect(reason.contains("signature verification failed"), "\(reason)")
                #expect(reason.hasPrefix("dYdX order failed"), "\(reason)")
                #expect(!reason.contains("abandon"))
                #expect(try await Position.query(on: app.db).count() == 0)
                let order = try #require(try await Order.query(on: app.db).first())
                #expect(order.venue == "DYDX")
                #expect(order.status == "REJECTED")
                #expect(chain.accepted.isEmpty)
                let audit = try await AuditEntry.query(on: app.db).all().compactMap(\.details).joined()
                #expect(!audit.contains("abandon"))
            }
        } catch {
            await chain.shutdown()
            throw error
        }
        await chain.shutdown()
    }
}
