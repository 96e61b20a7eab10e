import Fluent
import Foundation
import SignalDeskCore
import SignalDeskFakes
import SignalDeskVenues
import Testing
import VaporTesting

@testable import SignalDeskServer

/// What a black-box review of issue 25's endpoints found (each test fails without its fix).
@Suite struct Issue25ReviewTests {
    /// A capital base so large that the limits derived from it overflow (1e308 × the risk per trade
    /// is infinite) was stored, and every answer carrying `max_risk_amount_usd` then failed with a
    /// 500, the trader's `/positions/risk/today` included. It is refused, by id and by email.
    @Test(arguments: TestDatabase.all)
    func aCapitalBaseBeyondTheCapIsRefusedAndNeverBreaksTheAnswers(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            let traderID = try await client.userID("trader@test.com").uuidString
            for capital in [1e308, InputCaps.maxCapitalBaseUSD * 2] {
                let byID = try await client.send(
                    .PUT, "users/\(traderID)/risk-settings", token: admin, json: ["capital_base_usd": capital])
                #expect(byID.status == .unprocessableEntity, "\(byID.body.string)")
                #expect(byID.body.string.contains("capital_base_usd"))
                let byEmail = try await client.send(
                    .PUT, "ops/risk/users/trader@test.com", token: admin, json: ["capital_base_usd": capital])
                #expect(byEmail.status == .unprocessableEntity, "\(byEmail.body.string)")
            }
            #expect(try await client.auditCount("risk.profile.updated") == 0)
            let today = try await client.send(.GET, "positions/risk/today", token: trader)
            #expect(today.status == .ok, "\(today.body.string)")
            let largest = try await client.send(
                .PUT, "users/\(traderID)/risk-settings", token: admin,
                json: ["capital_base_usd": InputCaps.maxCapitalBaseUSD])
            #expect(largest.status == .ok, "\(largest.body.string)")
            #expect(try await client.send(.GET, "positions/risk/today", token: trader).status == .ok)
        }
    }

    /// Form bodies were read by Vapor's form decoder, which does not convert snake_case keys:
    /// `trading_enabled=true` never reached `tradingEnabled`, a missing `Bool` reads as `false`, so a
    /// form asking to enable trading halted it; `current_password` and `new_password` were never
    /// read, so `POST /auth/change-password` refused every form although it is documented with one;
    /// `dry_run=false` on an auto-pick was ignored (a dry run was answered).
    @Test(arguments: TestDatabase.all)
    func formBodiesReadTheDocumentedFieldNames(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")

            let enable = try await client.send(
                .POST, "ops/admin/trading-control", token: admin,
                form: ["trading_enabled": "true", "reason": "maintenance window"])
            #expect(enable.status == .ok, "\(enable.body.string)")
            #expect(enable.json()["trading_enabled"] as? Bool == true)
            #expect(try await app.killSwitch.state(on: app.db).enabled == false)

            let disable = try await client.send(
                .POST, "ops/admin/trading-control", token: admin,
                form: ["trading_enabled": "false", "reason": "maintenance window"])
            #expect(disable.status == .ok, "\(disable.body.string)")
            #expect(try await app.killSwitch.state(on: app.db).enabled == true)
            // Left out, the switch is a missing field (as in JSON), not "false".
            let missing = try await client.send(
                .POST, "ops/admin/trading-control", token: admin, form: ["reason": "maintenance window"])
            #expect(missing.status == .unprocessableEntity, "\(missing.body.string)")
            let release = try await client.send(
                .POST, "ops/admin/trading-control", token: admin, form: ["trading_enabled": "true"])
            #expect(release.status == .ok, "\(release.body.string)")
            #expect(try await app.killSwitch.state(on: app.db).enabled == false)

            // An execution asked for in a form is one: it needs its idempotency key.
            let pick = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: trader, form: ["dry_run": "false"])
            #expect(pick.status == .badRequest, "\(pick.body.string)")

            let changed = try await client.send(
                .POST, "auth/change-password",
                form: [
                    "email": "trader@test.com", "current_password": "password-123",
                    "new_password": "brand-new-pass-1",
                ])
            #expect(changed.status == .ok, "\(changed.body.string)")
            #expect(try await client.login("trader@test.com", password: "brand-new-pass-1").status == .ok)
        }
    }

    /// `WireFormDecoder`'s key conversion: names before any `[`, percent-decoded; values as sent.
    @Test func formKeysAreConvertedAsJSONKeysAre() {
        #expect(WireFormDecoder.camelCasedKeys("trading_enabled=true&reason=a_b") == "tradingEnabled=true&reason=a_b")
        #expect(WireFormDecoder.camelCasedKeys("trading%5Fenabled=1") == "tradingEnabled=1")
        #expect(WireFormDecoder.camelCasedKeys("a_b[c_d]=1&flag_x&&x=") == "aB[c_d]=1&flagX&&x=")
        #expect(WireFormDecoder.camelCasedKeys("username=a%40b.co&otp=") == "username=a%40b.co&otp=")
    }

    /// `GET`/`PUT /ops/admin/strategy-runtime-policies` answered `min_volume24h_usdt_<regime>`
    /// (Foundation's snake case keeps a digit on the word before it), not the documented
    /// `min_volume_24h_usdt_<regime>` the PUT reads: the answer's keys are the body's keys.
    @Test(arguments: TestDatabase.all)
    func policyAnswersUseTheKeysThePutReads(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let body = TradingSettingsTests.policyBody()
            let expected = Set(body.keys).union(["strategy_id", "exchange", "updated_at"])
            let listed = try TradingSettingsTests.list(
                try await client.send(.GET, "ops/admin/strategy-runtime-policies", token: admin))
            #expect(listed.count == 8)
            for row in listed { #expect(Set(row.keys) == expected, "\(row.keys.sorted())") }
            let put = try await client.send(
                .PUT, "ops/admin/strategy-runtime-policies/SWING_V1/BINANCE", token: admin, json: body)
            #expect(put.status == .ok, "\(put.body.string)")
            #expect(Set(put.json().keys) == expected)
            #expect(put.json()["min_volume_24h_usdt_range"] as? Double == 90_000_000)
            // What GET answers can be sent back as it is.
            let row = try #require(
                try TradingSettingsTests.list(
                    try await client.send(.GET, "ops/admin/strategy-runtime-policies", token: admin)
                ).first { $0["strategy_id"] as? String == "SWING_V1" && $0["exchange"] as? String == "BINANCE" })
            #expect(row["min_volume_24h_usdt_bull"] as? Double == 50_000_000)
            let echoed = row.filter { !["strategy_id", "exchange", "updated_at"].contains($0.key) }
            let again = try await client.send(
                .PUT, "ops/admin/strategy-runtime-policies/SWING_V1/BINANCE", token: admin, json: echoed)
            #expect(again.status == .ok, "\(again.body.string)")
        }
    }

    /// A 422 names the field as the client sends it: `trading_enabled`, `rr_estimate`,
    /// `volume_24h_usdt`, not the Swift property (`tradingEnabled`, `rrEstimate`).
    @Test(arguments: TestDatabase.all)
    func validationErrorsNameTheFieldAsSent(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            func loc(_ response: TestingHTTPResponse) -> [String] {
                ((response.json()["detail"] as? [[String: Any]])?.first?["loc"] as? [String]) ?? []
            }
            let missing = try await client.send(.POST, "ops/admin/trading-control", token: admin, json: [:])
            #expect(missing.status == .unprocessableEntity)
            #expect(loc(missing) == ["body", "trading_enabled"])
            let missingInForm = try await client.send(
                .POST, "ops/admin/trading-control", token: admin, form: ["reason": "maintenance window"])
            #expect(loc(missingInForm) == ["body", "trading_enabled"])
            var pretrade = CryptoSaasLaterTests.pretrade
            pretrade["rr_estimate"] = "high"
            let wrongType = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: pretrade)
            #expect(wrongType.status == .unprocessableEntity)
            #expect(loc(wrongType) == ["body", "rr_estimate"])
            var candidate = CryptoSaasLaterTests.pretrade
            candidate["volume_24h_usdt"] = "lots"
            let nested = try await client.send(
                .POST, "ops/execution/pretrade/binance/scan", token: trader, json: ["candidates": [candidate]])
            #expect(nested.status == .unprocessableEntity)
            #expect(loc(nested) == ["body", "candidates", "0", "volume_24h_usdt"])
            let dryRun = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: trader,
                json: ["candidates": [], "dry_run": "no"])
            #expect(loc(dryRun) == ["body", "dry_run"])
        }
    }

    @Test func propertyNamesTurnBackIntoTheKeysTheyAreReadFrom() {
        for key in [
            "trading_enabled", "rr_estimate", "volume_24h_usdt", "earnings_within_24h", "min_volume_24h_usdt_bull",
            "top_n", "api_key", "symbol", "capital_base_usd",
        ] {
            #expect(SnakeCaseKey.snakeCased(SnakeCaseKey.camelCased(key)) == key)
        }
        #expect(SnakeCaseKey.snakeCased("volume_24h_usdt") == "volume_24h_usdt")
        #expect(SnakeCaseKey.snakeCased("sha256") == "sha256")
    }

    /// A close whose exit price makes the realized PnL overflow ((1e308 − 100) × 2 is infinite)
    /// failed with a 500; one just under it booked a PnL that made the day's sums infinite. Beyond
    /// ±1e15 the close is a 422 naming `exit_price`, nothing is booked, and the position stays open.
    @Test(arguments: TestDatabase.all)
    func aCloseWhosePnLOverflowsIsRefusedAndBooksNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("trader@test.com")
            let position = try await client.openPosition(trader, qty: 2)
            for (exit, fees) in [("1e308", "0"), ("1e15", "0"), ("100", "1e16")] {
                let refused = try await client.send(
                    .POST, "positions/close?position_id=\(position)&exit_price=\(exit)&fees=\(fees)", token: trader,
                    headers: ["Idempotency-Key": "close-\(exit)-\(fees)"])
                #expect(refused.status == .unprocessableEntity, "\(exit) \(fees): \(refused.body.string)")
                #expect(refused.body.string.contains("exit_price"))
            }
            #expect(try await client.auditCount("position.close") == 0)
            #expect(try await client.send(.GET, "positions/risk/today", token: trader).status == .ok)
            #expect(try await client.send(.GET, "pnl/summary", token: trader).status == .ok)
            let closed = try await client.send(
                .POST, "positions/close?position_id=\(position)&exit_price=1e14", token: trader,
                headers: ["Idempotency-Key": "close-1e308-0"])
            #expect(closed.status == .ok, "\(closed.body.string)")
            #expect(try await client.send(.GET, "positions/risk/today", token: trader).status == .ok)
        }
    }

    /// The throttle was read before the password was checked, so attempts sent together all
    /// passed it: 12 wrong passwords at once were 12 Bcrypt guesses, not 5 (for login and for
    /// `POST /auth/change-password`, which is throttled exactly like it). Each attempt is now
    /// recorded before the password is checked, so no more than 5 guesses reach it in the window,
    /// however they are sent.
    @Test(arguments: TestDatabase.all)
    func attemptsSentTogetherCannotPassTheThrottle(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            _ = try await client.signIn("victim@test.com")
            _ = try await client.signIn("other@test.com")
            func together(_ attempt: @escaping @Sendable () async throws -> HTTPStatus) async throws -> [HTTPStatus] {
                try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                    for _ in 0..<12 { group.addTask { try await attempt() } }
                    return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
                }
            }
            func guesses(_ email: String) async throws -> Int {
                try await AuditEntry.query(on: app.db).filter(\.$action == "auth.login.failed").all()
                    .filter { ($0.details ?? "").contains(email) && ($0.details ?? "").contains("bad_credentials") }
                    .count
            }
            for _ in 0..<2 {
                let logins = try await together {
                    try await client.login("victim@test.com", password: "not-the-password").status
                }
                #expect(logins.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests }, "\(logins)")
                #expect(logins.filter { $0 == .unauthorized }.count <= 5, "\(logins)")
            }
            #expect(try await guesses("victim@test.com") <= 5)
            // One at a time, the lock still comes after the fifth failure, for the right password too.
            for _ in 0..<5 { _ = try await client.login("victim@test.com", password: "not-the-password") }
            #expect(try await guesses("victim@test.com") == 5)
            #expect(try await client.login("victim@test.com").status == .tooManyRequests)

            for _ in 0..<2 {
                let changes = try await together {
                    try await client.send(
                        .POST, "auth/change-password",
                        json: [
                            "email": "other@test.com", "current_password": "not-the-password",
                            "new_password": "brand-new-pass-1",
                        ]
                    ).status
                }
                #expect(changes.filter { $0 == .unauthorized }.count <= 5, "\(changes)")
            }
            #expect(try await guesses("other@test.com") <= 5)
        }
    }

    /// The exit tick sent its exit as `xt<position>` and the position monitor as `mx<position>`:
    /// when both judged a position at once, the venue filled both and sold it twice. They share
    /// one client order id now, so the venue refuses the second; and an exit is not sent for a
    /// position that is no longer open when the order is about to go.
    @Test(arguments: TestDatabase.all)
    func theTickAndTheMonitorNeverBothSellAPosition(_ database: TestDatabase) async throws {
        let book = FakeOrderBook()
        let binance = try await FakeBinance.start(accounts: AutoPickTests.accounts, book: book)
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.executionMode = .testnet
                    $0.binanceTestnetBaseURL = URL(string: binance.baseURL)!
                    $0.venueTimeoutSeconds = 3
                    $0.autoExitPolicy = .init(paused: false, maxClosesPerTick: 0, symbolCooldownSeconds: 0)
                }
            ) { app in
                let client = Client(app: app)
                let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
                let (trader, _) = try await client.signIn("trader@test.com")
                try await ExecutionTests.saveSecret(client, trader, "BINANCE")
                let position = try await ExitTickTests.position(
                    app, "trader@test.com", symbol: "BTCUSDT", minutesAgo: 30)
                await app.marketPrices.update("BTCUSDT", 80)  // below the stop at 90
                let positionID = try position.requireID()

                // The monitor's exit reached the venue; its booking has not happened yet.
                let execution = SignalExecution(app: app)
                let (venue, credentials) = try await execution.venue(for: .binance, userID: position.$user.id)
                _ = try await venue.placeOrder(
                    OrderRequest(
                        symbol: "BTCUSDT", side: .short, qty: 0.01,
                        clientOrderID: "mx"
                            + positionID.uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                        reduceOnly: true),
                    credentials: try #require(credentials))
                #expect(book.all.count == 1)
                let tick = try await client.send(.POST, "ops/admin/exit/tick?dry_run=false", token: admin)
                #expect(tick.status == .ok, "\(tick.body.string)")
                #expect(book.all.count == 1, "the position was sold \(book.all.count) times")

                // Closed in the book since it was read: no exit is sent for it.
                let stale = try #require(try await Position.find(positionID, on: app.db))
                let fresh = try #require(try await Position.find(positionID, on: app.db))
                fresh.status = .closed
                fresh.closedAt = Date()
                fresh.closedDay = "2026-12-03"
                fresh.exitPrice = 80
                fresh.realizedPnL = -0.2
                try await fresh.save(on: app.db)
                let sent = try await execution.closePosition(
                    stale, clientOrderID: "other-exit-id", reason: "stop_loss_hit", signal: nil)
                #expect(sent == false)
                #expect(book.all.count == 1)
            }
        } catch {
            await binance.shutdown()
            throw error
        }
        await binance.shutdown()
    }
}
