import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import SignalDeskFakes
import Testing
import VaporTesting

@testable import SignalDeskServer

/// DYDX end to end against the fake node and indexer (issue 23, step 4), on both databases.
@Suite struct DydxVenueTests {
    static let botToken = "123456:" + String(repeating: "D", count: 35)
    static let address = "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz"

    static func withChain(
        _ database: TestDatabase, telegram: FakeTelegram? = nil,
        _ body: (Application, FakeDydxChain) async throws -> Void
    ) async throws {
        let chain = try await FakeDydxChain.start()
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.executionMode = .testnet
                    $0.dydxIndexerURL = URL(string: chain.baseURL)
                    $0.dydxNodeRESTURL = URL(string: chain.baseURL)
                    if let telegram {
                        $0.telegramAPIBaseURL = URL(string: telegram.baseURL)!
                        $0.telegramBotToken = Self.botToken
                        $0.telegramChatID = "-1002"
                    }
                }
            ) { app in try await body(app, chain) }
        } catch {
            await chain.shutdown()
            throw error
        }
        await chain.shutdown()
    }

    static func alert(_ trader: (token: String, uuid: String, secret: String, email: String), _ fields: [String: Any])
        -> [String: Any]
    {
        var body = fields
        body["secret"] = trader.secret
        return body
    }

    @Test(arguments: TestDatabase.all)
    func anAlertBecomesASignedOrderWithTPSLAndTheExitCancelsTheLeftover(_ database: TestDatabase) async throws {
        let telegram = try await FakeTelegram.start()
        do {
            try await Self.withChain(database, telegram: telegram) { app, chain in
                try await startEngine(app)
                let client = Client(app: app)
                let trader = try await DydxExchangeTests.walletTrader(client)
                let opened = try await client.send(
                    .POST, "api/webhooks/signal/\(trader.uuid)",
                    json: Self.alert(
                        trader,
                        [
                            "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000, "order_type": "market",
                            "take_profit": 63000, "stop_loss": 58500, "alert_id": "dydx-1",
                        ]))
                #expect(opened.status == .accepted)
                #expect(
                    try await eventually(15) {
                        try await Position.query(on: app.db).filter(\.$status == .open).count() == 1
                    })
                let position = try #require(try await Position.query(on: app.db).first())
                #expect(position.exchange == "DYDX" && position.symbol == "BTC-USD")
                #expect(position.qty == 0.01 && position.entryPrice == 60000)
                #expect(position.fees == 0.3)
                let order = try #require(try await Order.query(on: app.db).first())
                #expect(order.venue == "DYDX" && order.status == "FILLED")

                // The order on the chain: signed by the mnemonic's key, verified by the node.
                let entry = try #require(chain.accepted.first)
                #expect(entry.signer == Self.address)
                guard case .place(let placed)? = entry.messages.first else {
                    Issue.record("the first transaction is not an order")
                    return
                }
                #expect(placed.orderID.clientID == DydxClientID.of(order.clientOrderID))
                #expect(placed.side == .buy && placed.quantums == 100_000_000)
                #expect(chain.position(owner: Self.address, ticker: "BTC-USD") == 0.01)
                // TP and SL as conditional orders after the fill.
                #expect(try await eventually(15) { chain.orders.filter { $0.flags == 32 }.count == 2 })
                let protection = chain.orders.filter { $0.flags == 32 }
                #expect(protection.map(\.conditionType) == ["TAKE_PROFIT", "STOP_LOSS"])
                #expect(protection.map(\.triggerPrice) == [63000, 58500])
                #expect(protection.allSatisfy { $0.reduceOnly && $0.status == "UNTRIGGERED" })
                #expect(try await eventually(15) { telegram.messages.contains { $0.text.contains("Executed") } })
                #expect(telegram.messages.first?.text.contains("BTC-USD") == true)
                // The dYdX service's positions view names the chain's order.
                let mine = try await client.send(.GET, "api/user/positions", token: trader.token).json()
                let listed = try #require((mine["positions"] as? [[String: Any]])?.first)
                #expect(listed["dydx_order_id"] as? String == order.venueOrderID)
                #expect(listed["dydx_order_id"] as? String == chain.orders.first?.id)
                let metrics = try await client.send(.GET, "metrics").body.string
                #expect(metrics.contains(#"signaldesk_orders{venue="DYDX",status="FILLED"} 1"#))

                // The exit: a SELL at the oracle, then the leftover TP/SL are cancelled.
                chain.setOraclePrice("BTC-USD", 61000)
                let closed = try await client.send(
                    .POST, "webhooks/tradingview/\(trader.uuid)",
                    json: Self.alert(
                        trader, ["symbol": "BTC-USD", "side": "close", "price": 61000, "alert_id": "dydx-2"]))
                #expect(closed.status == .accepted)
                #expect(
                    try await eventually(15) {
                        try await Position.query(on: app.db).first()?.status == .closed
                    })
                let done = try #require(try await Position.query(on: app.db).first())
                #expect(done.exitPrice == 61000)
                #expect(chain.position(owner: Self.address, ticker: "BTC-USD") == 0)
                #expect(chain.orders.filter { $0.flags == 32 }.map(\.status) == ["CANCELED", "CANCELED"])
                #expect(try await eventually(15) { telegram.messages.contains { $0.text.contains("Closed") } })
                // No secret in audit rows, messages or metrics.
                let audit = try await AuditEntry.query(on: app.db).all().compactMap(\.details).joined()
                #expect(!audit.contains("abandon"))
                #expect(!telegram.messages.contains { $0.text.contains("abandon") })
                #expect(!metrics.contains("abandon"))
            }
        } catch {
            await telegram.shutdown()
            throw error
        }
        await telegram.shutdown()
    }

    /// A TP that fires on the chain closes the position there; the monitor's sweep books the close
    /// at the chain's fill and cancels the SL.
    @Test(arguments: TestDatabase.all)
    func aTakeProfitFilledOnTheChainClosesThePosition(_ database: TestDatabase) async throws {
        try await Self.withChain(database) { app, chain in
            let client = Client(app: app)
            let trader = try await DydxExchangeTests.walletTrader(client)
            _ = try await client.send(
                .POST, "api/webhooks/signal/\(trader.uuid)",
                json: Self.alert(
                    trader,
                    [
                        "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000, "take_profit": 63000,
                        "stop_loss": 58500, "alert_id": "tp-1",
                    ]))
            #expect(try await ExecutionWorker.runOnce(app: app))
            #expect(try await Position.query(on: app.db).first()?.status == .open)
            #expect(chain.orders.filter { $0.flags == 32 }.count == 2)
            // Nothing filled yet: the sweep leaves the position open.
            #expect(await DydxProtectionSync.sweep(app: app) == 0)
            chain.setOraclePrice("BTC-USD", 63500)
            #expect(chain.position(owner: Self.address, ticker: "BTC-USD") == 0)
            try await PositionMonitor.sweep(app: app)
            let closed = try #require(try await Position.query(on: app.db).first())
            #expect(closed.status == .closed)
            #expect(closed.closeReason == "take_profit_hit")
            #expect(closed.exitPrice == 63500)
            #expect(chain.orders.filter { $0.flags == 32 }.map(\.status) == ["FILLED", "CANCELED"])
            #expect(await DydxProtectionSync.sweep(app: app) == 0)
        }
    }

    /// The worker dies after the node accepted the order and before the bookkeeping commits: the
    /// next attempt asks the indexer for the client id and books the fill without a second order.
    @Test(arguments: TestDatabase.all)
    func aCrashBetweenBroadcastAndBookkeepingNeverOrdersTwice(_ database: TestDatabase) async throws {
        try await Self.withChain(database) { app, chain in
            let crashed = ReleaseFlag()
            app.executionFault = { _ in
                if !crashed.isSet {
                    crashed.set()
                    throw TestFailure("worker killed between the broadcast and the commit")
                }
            }
            try await startEngine(app)
            let client = Client(app: app)
            let trader = try await DydxExchangeTests.walletTrader(client)
            _ = try await client.send(
                .POST, "api/webhooks/signal/\(trader.uuid)",
                json: Self.alert(
                    trader,
                    [
                        "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000, "take_profit": 63000,
                        "stop_loss": 58500, "alert_id": "crash-1",
                    ]))
            #expect(try await eventually(15) { crashed.isSet })
            #expect(chain.accepted.count == 1)
            #expect(try await Position.query(on: app.db).count() == 0)
            #expect(try await Order.query(on: app.db).first()?.status == "PENDING")
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE signals SET leased_until = \(bind: Date().addingTimeInterval(-1))"
            ).run()
            #expect(try await eventually(15) { try await Position.query(on: app.db).count() == 1 })
            let marketOrders = chain.accepted.filter {
                if case .place(let order)? = $0.messages.first { order.orderID.orderFlags == 0 } else { false }
            }
            #expect(marketOrders.count == 1)
            #expect(chain.position(owner: Self.address, ticker: "BTC-USD") == 0.01)
            #expect(try await Order.query(on: app.db).first()?.status == "FILLED")
            #expect(try await Signal.query(on: app.db).first()?.status == .opened)
            #expect(try await eventually(15) { chain.orders.filter { $0.flags == 32 }.count == 2 })
        }
    }
}
