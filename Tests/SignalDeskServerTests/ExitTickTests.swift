import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// `POST /ops/admin/exit/tick` (issue 25, group 3), as crypto-saas's test_auto_exit_policy_* and
/// test_admin_exit_tick_idempotency_deduplicates_processing pin it. Positions are put in place
/// directly (as crypto-saas's tests do) and priced through the market price store.
@Suite struct ExitTickTests {
    /// An open long of `email` on BINANCE at 100 (stop 90, take 120), opened `minutesAgo`.
    @discardableResult
    static func position(
        _ app: Application, _ email: String, symbol: String, minutesAgo: Double, status: PositionStatus = .open
    ) async throws -> Position {
        let user = try #require(try await User.query(on: app.db).filter(\.$email == email).first())
        let position = Position()
        position.$user.id = try user.requireID()
        position.symbol = symbol
        position.exchange = "BINANCE"
        position.side = .long
        position.qty = 0.01
        position.entryPrice = 100
        position.stopLoss = 90
        position.takeProfit = 120
        position.status = status
        position.openedAt = Date().addingTimeInterval(-minutesAgo * 60)
        position.openedDay = "2026-12-03"
        position.fees = 0
        if status == .closed {
            position.closedAt = Date().addingTimeInterval(-60)
            position.closedDay = "2026-12-03"
            position.exitPrice = 95
            position.realizedPnL = -0.05
        }
        try await position.create(on: app.db)
        return position
    }

    static func results(_ response: TestingHTTPResponse) -> [[String: Any]] {
        response.json()["results"] as? [[String: Any]] ?? []
    }

    static func status(_ app: Application, _ position: Position) async throws -> PositionStatus? {
        try await Position.find(position.id, on: app.db)?.status
    }

    /// test_auto_exit_policy_skip_when_paused.
    @Test(arguments: TestDatabase.all)
    func aPausedTickClosesNothingButADryRunStillReports(_ database: TestDatabase) async throws {
        try await withTestApp(
            database, adjust: { $0.autoExitPolicy = .init(paused: true, maxClosesPerTick: 5, symbolCooldownSeconds: 0) }
        ) {
            app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            _ = try await client.signIn("trader@test.com")
            let btc = try await Self.position(app, "trader@test.com", symbol: "BTCUSDT", minutesAgo: 30)
            await app.marketPrices.update("BTCUSDT", 85)

            let paused = try await client.send(
                .POST, "ops/admin/exit/tick?dry_run=false&real_only=true&max_positions=10&user_email=trader@test.com",
                token: admin)
            #expect(paused.status == .ok)
            #expect(paused.json()["paused"] as? Bool == true)
            #expect(paused.json()["scanned_positions"] as? Int == 1)
            #expect(paused.json()["exit_candidates"] as? Int == 1)
            #expect(paused.json()["skipped_by_policy"] as? Int == 1)
            #expect(paused.json()["closed_positions"] as? Int == 0)
            #expect(Self.results(paused).first?["reason"] as? String == "policy_skipped:paused|stop_loss_hit")
            #expect(try await Self.status(app, btc) == .open)

            let dry = try await client.send(.POST, "ops/admin/exit/tick?dry_run=true", token: admin)
            #expect(dry.json()["skipped_by_policy"] as? Int == 0)
            let row = try #require(Self.results(dry).first)
            #expect(row["reason"] as? String == "stop_loss_hit")
            #expect(row["should_exit"] as? Bool == true)
            #expect(row["closed"] as? Bool == false)
            #expect(row["side"] as? String == "BUY")
            #expect(row["user_email"] as? String == "trader@test.com")
            #expect(row["current_price"] as? Double == 85)
            #expect(try await Self.status(app, btc) == .open)
            #expect(try await client.auditCount("exit.auto_close.policy_skipped") == 1)
            #expect(try await client.auditCount("exit.auto_close.tick.summary") == 2)
        }
    }

    /// test_auto_exit_policy_respects_max_closes_per_tick.
    @Test(arguments: TestDatabase.all)
    func aTickClosesNoMoreThanItsBudgetMostUrgentAndOldestFirst(_ database: TestDatabase) async throws {
        try await withTestApp(
            database, adjust: { $0.autoExitPolicy = .init(maxClosesPerTick: 1, symbolCooldownSeconds: 0) }
        ) {
            app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            _ = try await client.signIn("trader@test.com")
            let btc = try await Self.position(app, "trader@test.com", symbol: "BTCUSDT", minutesAgo: 40)
            let eth = try await Self.position(app, "trader@test.com", symbol: "ETHUSDT", minutesAgo: 20)
            let sol = try await Self.position(app, "trader@test.com", symbol: "SOLUSDT", minutesAgo: 10)
            await app.marketPrices.update("BTCUSDT", 101)  // holds
            await app.marketPrices.update("ETHUSDT", 89)  // stop
            await app.marketPrices.update("SOLUSDT", 80)  // stop
            // An ADA position has no price: skipped, not an error.
            try await Self.position(app, "trader@test.com", symbol: "ADAUSDT", minutesAgo: 5)

            let tick = try await client.send(
                .POST, "ops/admin/exit/tick?dry_run=false&real_only=true&max_positions=10&user_email=trader@test.com",
                token: admin)
            #expect(tick.status == .ok)
            #expect(tick.json()["closed_positions"] as? Int == 1)
            #expect(tick.json()["exit_candidates"] as? Int == 2)
            #expect(tick.json()["skipped_by_policy"] as? Int == 1)
            #expect(tick.json()["skipped_no_price"] as? Int == 1)
            #expect(tick.json()["errors"] as? Int == 0)
            let byID = Dictionary(
                uniqueKeysWithValues: Self.results(tick).compactMap { row in
                    (row["position_id"] as? String).map { ($0, row) }
                })
            // ETH has been open longer than SOL: closed first.
            let ethRow = try #require(byID[eth.id!.uuidString.lowercased()])
            #expect(ethRow["closed"] as? Bool == true)
            #expect(ethRow["realized_pnl"] as? Double != nil)
            #expect(
                byID[sol.id!.uuidString.lowercased()]?["reason"] as? String
                    == "policy_skipped:max_closes_reached|stop_loss_hit")
            #expect(byID[btc.id!.uuidString.lowercased()]?["reason"] as? String == "hold")
            #expect(Self.results(tick).contains { $0["reason"] as? String == "no_price" })
            let closed = try #require(try await Position.find(eth.id, on: app.db))
            #expect(closed.status == .closed)
            #expect(closed.closeReason == "stop_loss_hit")
            #expect(try await Self.status(app, sol) == .open)
            #expect(try await client.auditCount("exit.auto_close.triggered") == 1)
            #expect(try await client.auditCount("position.close") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func aUsersSymbolIsClosedOncePerTickAndNotAgainWithinItsCooldown(_ database: TestDatabase) async throws {
        try await withTestApp(
            database, adjust: { $0.autoExitPolicy = .init(maxClosesPerTick: 0, symbolCooldownSeconds: 300) }
        ) {
            app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            _ = try await client.signIn("trader@test.com")
            _ = try await client.signIn("ana@test.com")
            try await Self.position(app, "trader@test.com", symbol: "BTCUSDT", minutesAgo: 30)
            try await Self.position(app, "trader@test.com", symbol: "BTCUSDT", minutesAgo: 20)
            try await Self.position(app, "ana@test.com", symbol: "ETHUSDT", minutesAgo: 30)
            try await Self.position(app, "ana@test.com", symbol: "ETHUSDT", minutesAgo: 90, status: .closed)
            // Not real users: left out with real_only.
            _ = try await client.signIn("smoke.bot@test.com")
            try await Self.position(app, "smoke.bot@test.com", symbol: "BTCUSDT", minutesAgo: 30)
            await app.marketPrices.update("BTCUSDT", 85)
            await app.marketPrices.update("ETHUSDT", 85)

            let tick = try await client.send(.POST, "ops/admin/exit/tick?dry_run=false", token: admin)
            #expect(tick.json()["scanned_positions"] as? Int == 3)
            #expect(tick.json()["closed_positions"] as? Int == 1)
            let reasons = Self.results(tick).compactMap { $0["reason"] as? String }.sorted()
            #expect(
                reasons == [
                    "policy_skipped:symbol_cooldown_tick|stop_loss_hit",
                    "policy_skipped:symbol_cooldown_window|stop_loss_hit", "stop_loss_hit",
                ])
            let everyone = try await client.send(
                .POST, "ops/admin/exit/tick?dry_run=true&real_only=false", token: admin)
            #expect(everyone.json()["scanned_positions"] as? Int == 3)  // one BTC of trader's was closed
        }
    }

    /// test_admin_exit_tick_idempotency_deduplicates_processing, and bad queries.
    @Test(arguments: TestDatabase.all)
    func aKeyRunsTheTickOnceAndBadQueriesAreRefused(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            try await Self.position(app, "trader@test.com", symbol: "BTCUSDT", minutesAgo: 30)
            await app.marketPrices.update("BTCUSDT", 85)
            let path = "ops/admin/exit/tick?dry_run=true&real_only=true&max_positions=10"
            let headers: HTTPHeaders = ["X-Idempotency-Key": "exit-tick-idem-1"]
            let first = try await client.send(.POST, path, token: admin, headers: headers)
            let second = try await client.send(.POST, path, token: admin, headers: headers)
            #expect(first.status == .ok)
            #expect(second.status == .ok)
            #expect(first.body.string == second.body.string)
            #expect(try await client.auditCount("exit.auto_close.tick.summary") == 1)
            let other = try await client.send(
                .POST, "ops/admin/exit/tick?dry_run=true&real_only=true&max_positions=11", token: admin,
                headers: headers)
            #expect(other.status == .conflict)
            #expect(other.json()["detail"] as? String == "Idempotency key already used with different payload")

            for bad in ["max_positions=0", "max_positions=5001", "dry_run=maybe", "real_only=2x"] {
                let refused = try await client.send(.POST, "ops/admin/exit/tick?\(bad)", token: admin)
                #expect(refused.status == .unprocessableEntity, "\(bad)")
            }
            #expect(try await client.send(.POST, "ops/admin/exit/tick", token: trader).status == .forbidden)
            #expect(try await client.auditCount("exit.auto_close.tick.summary") == 1)
        }
    }
}
