import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import SignalDeskFakes
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Polls `condition` until it holds or `seconds` pass.
func eventually(_ seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Starts the background services a `serve` process runs, fast-paced for tests.
func startEngine(_ app: Application) async throws {
    app.lifecycle.use(TelegramSender(interval: .milliseconds(100)))
    app.lifecycle.use(PositionMonitor(interval: .milliseconds(200)))
    app.lifecycle.use(ExecutionWorker(pollInterval: .milliseconds(100)))
    try await app.asyncBoot()
}

@Suite struct ExecutionEngineTests {
    static let botToken = "123456:" + String(repeating: "B", count: 35)

    @Test(arguments: TestDatabase.all)
    func alertToPaperOrderToTelegramAndCloseWithPnL(_ database: TestDatabase) async throws {
        let telegram = try await FakeTelegram.start()
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.telegramAPIBaseURL = URL(string: telegram.baseURL)!
                    $0.telegramBotToken = Self.botToken
                    $0.telegramChatID = "-1001"
                    $0.paperSlippageBps = 0
                    $0.paperFeeBps = 0
                }
            ) { app in
                try await startEngine(app)
                let client = Client(app: app)
                let (token, uuid, secret) = try await client.webhookUser()
                let accepted = try await client.alert(
                    uuid,
                    #"{"secret":"\#(secret)","symbol":"BINANCE:BTCUSDT","side":"buy","price":30000,"stop_loss":29000,"take_profit":33000,"alert_id":"e2e-1"}"#
                )
                #expect(accepted.status == .accepted)
                #expect(
                    try await eventually(15) {
                        try await Position.query(on: app.db).filter(\.$status == .open).count() == 1
                    })
                let position = try #require(try await Position.query(on: app.db).first())
                // Sized from the profile: 0.5% of 10,000 over a 1,000 stop distance.
                #expect(
                    position.qty == 0.05 && position.entryPrice == 30000 && position.stopLoss == 29000
                        && position.takeProfit == 33000)
                let order = try #require(try await Order.query(on: app.db).first())
                #expect(order.status == "FILLED" && order.venue == "PAPER" && order.clientOrderID.hasPrefix("sd"))
                #expect(try await Signal.query(on: app.db).first()?.status == .opened)
                #expect(try await eventually(15) { telegram.messages.contains { $0.text.contains("Executed") } })
                let message = try #require(telegram.messages.first)
                #expect(message.token == Self.botToken && message.chatID == "-1001" && message.parseMode == "HTML")
                #expect(message.text.contains("<b>BTCUSDT</b>"))

                let close = try await client.alert(
                    uuid, #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"exit","price":31000,"alert_id":"e2e-2"}"#)
                #expect(close.status == .accepted)
                #expect(
                    try await eventually(15) {
                        try await Position.query(on: app.db).filter(\.$status == .closed).count() == 1
                    })
                let closed = try #require(try await Position.query(on: app.db).first())
                #expect(closed.exitPrice == 31000 && closed.realizedPnL == 50 && closed.closeReason == "signal_close")
                #expect(try await eventually(15) { telegram.messages.contains { $0.text.contains("Closed") } })
                let risk = try await client.send(.GET, "positions/risk/today", token: token).json()
                #expect(risk["trades_today"] as? Int == 1 && risk["realized_pnl_today"] as? Double == 50)
                // The close is booked before the signal is marked completed, in a transaction of its own.
                #expect(
                    try await eventually(15) {
                        try await Signal.query(on: app.db).filter(\.$action == SignalAction.close).first()?.status
                            == .completed
                    })
            }
        } catch {
            await telegram.shutdown()
            throw error
        }
        await telegram.shutdown()
    }

    /// A stored exchange this build does not know (a row written by a newer or older version) is
    /// refused, never traded on another venue.
    @Test(arguments: TestDatabase.all)
    func aSignalForAnUnknownExchangeIsRejectedNotTradedElsewhere(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let user = User(email: "kraken@trading.co", passwordHash: "x", role: .trader)
            try await user.create(on: app.db)
            let signal = Signal.webhookRow(userID: try user.requireID()) { $0.exchange = "KRAKEN" }
            try await signal.create(on: app.db)
            #expect(try await ExecutionWorker.runOnce(app: app))
            let stored = try #require(try await Signal.find(signal.id, on: app.db))
            #expect(
                stored.status == .rejected && stored.reasonCodes == ["exchange_unknown"],
                "\(stored.status) \(stored.reasonCodes)")
            #expect(try await Order.query(on: app.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.all)
    func aSignalThatCannotBeSizedIsRejected(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            try await startEngine(app)
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            _ = try await client.alert(uuid, #"{"secret":"\#(secret)","symbol":"ETHUSDT","side":"sell","price":2000}"#)
            #expect(try await eventually(15) { try await Signal.query(on: app.db).first()?.status == .rejected })
            #expect(try await Signal.query(on: app.db).first()?.reasonCodes == ["size_unknown"])
            #expect(try await Order.query(on: app.db).count() == 0)
            // No Telegram configured anywhere: the message is skipped, the trade decision stands.
            #expect(try await eventually(15) { try await OutboxMessage.query(on: app.db).first()?.status == "SKIPPED" })
        }
    }

    @Test(arguments: TestDatabase.all)
    func aFailingTelegramNeverFailsTheTradeAndIsRetried(_ database: TestDatabase) async throws {
        let telegram = try await FakeTelegram.start()
        telegram.server.behavior = .status(500, body: #"{"ok":false,"error_code":500}"#)
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.telegramAPIBaseURL = URL(string: telegram.baseURL)!
                    $0.telegramBotToken = Self.botToken
                    $0.telegramChatID = "7"
                }
            ) { app in
                try await startEngine(app)
                let client = Client(app: app)
                let (_, uuid, secret) = try await client.webhookUser()
                let before = Date()
                _ = try await client.alert(
                    uuid, #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"buy","price":30000,"qty":0.001}"#)
                #expect(try await eventually(15) { try await Position.query(on: app.db).count() == 1 })
                #expect(
                    try await eventually(15) {
                        try await OutboxMessage.query(on: app.db).first()?.lastError == "HTTP 500"
                    })
                let pending = try #require(try await OutboxMessage.query(on: app.db).first())
                // A retry is scheduled (the loop may have retried and failed again since).
                #expect(pending.status == "PENDING" && pending.attempts >= 1 && pending.nextAttemptAt > before)
                telegram.server.behavior = .normal
                // 30 s ahead: past any backoff reached by now (2, 4, 8 s ...), short of the 60 s lease
                // of a claim the loop may hold, so this pass never sends a message the loop is sending.
                try await TelegramSender.deliverDue(app: app, now: Date().addingTimeInterval(30))
                // The loop may have claimed the retry first; either way it is sent once.
                #expect(
                    try await eventually(15) { try await OutboxMessage.query(on: app.db).first()?.status == "SENT" })
                #expect(telegram.messages.count == 1)
            }
        } catch {
            await telegram.shutdown()
            throw error
        }
        await telegram.shutdown()
    }

    /// Two senders at once (two processes, or the loop and a manual pass) read the same due
    /// message: one claims it and sends it, the other skips it. Telegram answers after 500 ms so
    /// that both have read it before either has finished; without the claim both sent it (seen as
    /// a flaky `aFailingTelegramNeverFailsTheTradeAndIsRetried`, whose manual pass raced the loop).
    @Test(arguments: TestDatabase.all)
    func concurrentSendersDeliverAMessageOnce(_ database: TestDatabase) async throws {
        let telegram = try await FakeTelegram.start()
        telegram.server.behavior = .delay(.milliseconds(500))
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.telegramAPIBaseURL = URL(string: telegram.baseURL)!
                    $0.telegramBotToken = Self.botToken
                    $0.telegramChatID = "7"
                }
            ) { app in
                try await OutboxMessage(userID: nil, text: "Executed once", now: Date()).create(on: app.db)
                async let first = TelegramSender.deliverDue(app: app)
                async let second = TelegramSender.deliverDue(app: app)
                #expect(try await first + second == 1)
                #expect(telegram.messages.count == 1)
                let message = try #require(try await OutboxMessage.query(on: app.db).first())
                #expect(message.status == "SENT" && message.attempts == 1)
            }
        } catch {
            await telegram.shutdown()
            throw error
        }
        await telegram.shutdown()
    }

    @Test(arguments: TestDatabase.all)
    func aCrashAfterTheVenueAcceptedIsFinishedWithoutOrderingAgain(_ database: TestDatabase) async throws {
        let accounts = ["test-api-key-1234": "test-api-secret-5678"]
        let binance = try await FakeBinance.start(accounts: accounts)
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.executionMode = .testnet
                    $0.binanceTestnetBaseURL = URL(string: binance.baseURL)!
                    // The default lease (minutes): the test ends it by hand below. A short one could run
                    // out by itself on a slow machine, before the checks of the crashed state.
                }
            ) { app in
                let crashed = ReleaseFlag()
                app.executionFault = { _ in
                    if !crashed.isSet {
                        crashed.set()
                        throw TestFailure("worker killed between the venue's accept and the commit")
                    }
                }
                try await startEngine(app)
                let client = Client(app: app)
                let (token, uuid, secret) = try await client.webhookUser()
                _ = try await client.send(
                    .POST, "users/exchange-secrets", token: token,
                    json: ["exchange": "BINANCE", "api_key": "test-api-key-1234", "api_secret": "test-api-secret-5678"])
                _ = try await client.alert(
                    uuid,
                    #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"buy","price":30000,"qty":0.001,"alert_id":"crash-1"}"#
                )
                #expect(try await eventually(15) { crashed.isSet })
                #expect(try await eventually(15) { binance.requests.filter { $0 == "POST /api/v3/order" }.count == 1 })
                #expect(try await Position.query(on: app.db).count() == 0)
                #expect(try await Order.query(on: app.db).first()?.status == "PENDING")
                // The lease runs out as after a restart; the next attempt asks Binance first.
                try await (app.db as! any SQLDatabase).raw(
                    "UPDATE signals SET leased_until = \(bind: Date().addingTimeInterval(-1))"
                ).run()
                #expect(try await eventually(15) { try await Position.query(on: app.db).count() == 1 })
                #expect(binance.requests.filter { $0 == "POST /api/v3/order" }.count == 1)
                #expect(binance.requests.contains("GET /api/v3/order"))
                #expect(try await Order.query(on: app.db).count() == 1)
                #expect(try await Order.query(on: app.db).first()?.status == "FILLED")
                #expect(try await Signal.query(on: app.db).first()?.status == .opened)
            }
        } catch {
            await binance.shutdown()
            throw error
        }
        await binance.shutdown()
    }

    @Test(.enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL (SIGNALDESK_TEST_DATABASE_URL)"))
    func twoWorkerProcessesOnOnePostgreSQLNeverShareASignal() async throws {
        try await withTestDatabase(.postgres) { config in
            try await withApp(config) { app in
                try await app.db.transaction { tx in
                    for userIndex in 0..<20 {
                        let user = User(email: "u\(userIndex)@trading.co", passwordHash: "x", role: .trader)
                        try await user.create(on: tx)
                        for index in 0..<10 {
                            let signal = Signal.webhookRow(userID: user.id!) {
                                $0.entryPrice = 30000
                                $0.stopLoss = 29000
                                $0.takeProfit = nil
                                $0.qty = 0.001
                                $0.createdAt = Date().addingTimeInterval(Double(index))
                                $0.updatedAt = $0.createdAt
                                $0.alertID = "w-\(userIndex)-\(index)"
                            }
                            try await signal.create(on: tx)
                        }
                    }
                }
            }
            // Two independent applications (as two processes would be), each with its own worker.
            try await withApp(config, migrate: false) { first in
                try await withApp(config, migrate: false) { second in
                    first.lifecycle.use(ExecutionWorker(pollInterval: .milliseconds(50)))
                    second.lifecycle.use(ExecutionWorker(pollInterval: .milliseconds(50)))
                    try await first.asyncBoot()
                    try await second.asyncBoot()
                    #expect(
                        try await eventually(30) {
                            try await Signal.query(on: first.db).filter(\.$status ~~ [.created, .executing]).count()
                                == 0
                        })
                    let audits = try await AuditEntry.query(on: first.db)
                        .filter(\.$action ~~ ["execution.order.filled", "signal.rejected", "signal.failed"]).all()
                    // One outcome per signal: filled, rejected or failed.
                    #expect(audits.count == 200)
                    let orders = try await Order.query(on: first.db).all()
                    #expect(Set(orders.map(\.clientOrderID)).count == orders.count)
                    let rejectedIDs = audits.filter { $0.action == "signal.rejected" }.compactMap(\.entityID)
                    #expect(Set(rejectedIDs).count == rejectedIDs.count)
                    #expect(orders.count + rejectedIDs.count == 200)
                }
            }
        }
    }

    /// A worker process that polls only once a minute still executes an alert accepted by another
    /// process within seconds: the commit's NOTIFY wakes it.
    @Test(.enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL (SIGNALDESK_TEST_DATABASE_URL)"))
    func anotherProcessesAlertWakesTheWorkerThroughNotify() async throws {
        try await withTestDatabase(.postgres) { config in
            var intake = config
            intake.workerEnabled = false
            try await withApp(intake) { front in
                let client = Client(app: front)
                let (_, uuid, secret) = try await client.webhookUser()
                try await withApp(config, migrate: false) { worker in
                    worker.lifecycle.use(ExecutionWorker(pollInterval: .seconds(60)))
                    try await worker.asyncBoot()
                    // The worker's first pass finds nothing; then it sleeps for a minute unless woken.
                    try await Task.sleep(for: .milliseconds(500))
                    let accepted = try await client.alert(
                        uuid,
                        #"{"secret":"\#(secret)","symbol":"BTCUSDT","side":"buy","price":30000,"stop_loss":29000,"take_profit":33000,"alert_id":"n-1"}"#
                    )
                    #expect(accepted.status == .accepted)
                    // Well inside the 60 s poll: only the wakeup can have started it.
                    let executed = try await eventually(30) {
                        [.opened, .rejected, .failed].contains(try await Signal.query(on: front.db).first()?.status)
                    }
                    let signal = try #require(try await Signal.query(on: front.db).first())
                    #expect(executed && signal.status == .opened, "\(signal.status) \(signal.reasonCodes)")
                }
            }
        }
    }
}
