import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Every documented field of every request body is read (issue 19, item 3): keys with digits
/// (`volume_24h_usdt`, `earnings_within_24h`) were silently dropped and their defaults used.
@Suite struct RequestFieldsTests {
    /// Decodes `json` as the server does and fails for every stored property left nil: a field
    /// sent but not read.
    static func expectEveryFieldRead<T: Decodable>(
        _ type: T.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let value = try JSONCoding.decoder.decode(T.self, from: Data(json.utf8))
        let unread = Mirror(reflecting: value).children.compactMap { child -> String? in
            let inner = Mirror(reflecting: child.value)
            guard inner.displayStyle == .optional, inner.children.isEmpty else { return nil }
            return child.label
        }
        #expect(unread.isEmpty, "\(T.self) dropped \(unread)", sourceLocation: sourceLocation)
    }

    /// Each body with every field contract.md documents for it, none at its default.
    @Test func everyDocumentedFieldOfEveryBodyIsDecoded() throws {
        try Self.expectEveryFieldRead(
            ExecutionController.PretradeBody.self,
            """
            {"symbol":"BTCUSDT","side":"BUY","qty":1,"rr_estimate":2.0,"trend_tf":"4H","signal_tf":"1H","timing_tf":"15M",
             "spread_bps":5.0,"slippage_bps":10.0,"volume_24h_usdt":1e8,"in_rth":true,"macro_event_block":false,"earnings_within_24h":false,
             "market_trend_score":0.4,"atr_pct":3,"momentum_score":0.2,"leverage":1}
            """)
        try Self.expectEveryFieldRead(
            ExecutionController.ExitBody.self,
            """
            {"symbol":"BTCUSDT","side":"BUY","entry_price":100,"current_price":101,"stop_loss":95,"take_profit":110,"opened_minutes":0,
             "trend_break":false,"signal_reverse":false,"macro_event_block":false,"earnings_within_24h":false,
             "market_trend_score":0.4,"atr_pct":3,"momentum_score":0.2}
            """)
        try Self.expectEveryFieldRead(
            ExecutionController.OrderBody.self, #"{"exchange":"BINANCE","symbol":"BTCUSDT","side":"BUY","qty":0.01}"#)
        try Self.expectEveryFieldRead(
            SignalsController.CreateBody.self,
            """
            {"symbol":"BTCUSDT","module":"swing","base_risk_percent":0.5,"entry_price":100,"stop_loss":95,"take_profit":110,"side":"LONG","exchange":"BYBIT"}
            """)
        try Self.expectEveryFieldRead(
            UsersController.CreateBody.self,
            #"{"email":"a@b.co","password":"password-1","display_name":"A","role":"viewer"}"#)
        try Self.expectEveryFieldRead(
            ExchangeSecretsController.UpsertBody.self,
            #"{"exchange":"BINANCE","api_key":"key-12345","api_secret":"secret-123"}"#)
        try Self.expectEveryFieldRead(
            NotificationsController.Body.self, #"{"telegram_bot_token":"1:x","telegram_chat_id":42}"#)
        try Self.expectEveryFieldRead(
            RiskAdminController.Body.self, #"{"risk_profile":"modelo_suelto_controlado","capital_base_usd":5000}"#)
        try Self.expectEveryFieldRead(SecurityController.ReencryptBody.self, #"{"dry_run":true}"#)
        try Self.expectEveryFieldRead(
            StrategyController.AssignBody.self,
            #"{"user_email":"a@b.co","exchange":"BINANCE","strategy_id":"SWING_V1","enabled":false}"#)
        try Self.expectEveryFieldRead(KillSwitchController.Body.self, #"{"enabled":true,"reason":"maintenance"}"#)
        try Self.expectEveryFieldRead(AuthController.RegisterBody.self, #"{"email":"a@b.co","password":"password-1"}"#)
        try Self.expectEveryFieldRead(AuthController.RefreshBody.self, #"{"refresh_token":"r"}"#)
        try Self.expectEveryFieldRead(TwoFactorController.OTPBody.self, #"{"otp":"123456"}"#)
        try Self.expectEveryFieldRead(WebhooksController.EnabledBody.self, #"{"enabled":false}"#)
    }

    @Test func snakeCaseKeysKeepTheirDigits() {
        #expect(SnakeCaseKey.camelCased("volume_24h_usdt") == "volume24hUsdt")
        #expect(SnakeCaseKey.camelCased("earnings_within_24h") == "earningsWithin24h")
        #expect(SnakeCaseKey.camelCased("api_key") == "apiKey")
        #expect(SnakeCaseKey.camelCased("rr_estimate") == "rrEstimate")
        #expect(SnakeCaseKey.camelCased("enabled") == "enabled")
        #expect(SnakeCaseKey.camelCased("_id") == "_id")
        #expect(SnakeCaseKey.camelCased("a__b_") == "aB_")
        #expect(SnakeCaseKey.camelCased("___") == "___")
        #expect(SnakeCaseKey.camelCased("") == "")
    }

    // MARK: each field flips its check, over HTTP

    static var pretradeBase: [String: Any] {
        [
            "symbol": "BTCUSDT", "side": "BUY", "qty": 0.01, "rr_estimate": 2.0, "trend_tf": "4H", "signal_tf": "1H",
            "timing_tf": "15M",
            "spread_bps": 5.0, "slippage_bps": 10.0, "volume_24h_usdt": 1e8, "in_rth": true, "macro_event_block": false,
            "earnings_within_24h": false,
        ]
    }

    static func failedChecks(_ response: TestingHTTPResponse) -> Set<String> {
        let checks = response.json()["checks"] as? [[String: Any]] ?? []
        return Set(checks.filter { $0["passed"] as? Bool == false }.compactMap { $0["name"] as? String })
    }

    static func metChecks(_ response: TestingHTTPResponse) -> Set<String> {
        let checks = response.json()["checks"] as? [[String: Any]] ?? []
        return Set(checks.filter { $0["passed"] as? Bool == true }.compactMap { $0["name"] as? String })
    }

    /// Each pretrade field, sent at a value just past its limit, fails exactly its own check
    /// (SWING_V1 on BINANCE: volume ≥ 50,000,000, spread ≤ 10, slippage ≤ 15, RR ≥ 1.5; IBKR:
    /// regular hours, macro block, earnings).
    @Test(arguments: TestDatabase.all)
    func eachPretradeFieldFlipsItsCheck(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("fields@trading.co")
            let cases: [(String, String, Any, String)] = [
                ("binance", "rr_estimate", 1.49, "strategy_rr_min"),
                ("binance", "trend_tf", "1H", "strategy_trend_tf"),
                ("binance", "signal_tf", "4H", "strategy_signal_tf"),
                ("binance", "timing_tf", "1H", "strategy_timing_tf"),
                ("binance", "spread_bps", 10.01, "liq_spread_bps"),
                ("bybit", "slippage_bps", 15.01, "liq_slippage_bps"),
                ("binance", "volume_24h_usdt", 49_999_999.0, "liq_volume_24h"),
                ("ibkr", "in_rth", false, "ibkr_in_rth"),
                ("ibkr", "macro_event_block", true, "ibkr_no_macro_block"),
                ("ibkr", "earnings_within_24h", true, "ibkr_no_earnings_24h"),
            ]
            for exchange in ["binance", "bybit", "ibkr"] {
                let base = try await client.send(
                    .POST, "ops/execution/pretrade/\(exchange)/check", token: token, json: Self.pretradeBase)
                #expect(
                    base.status == .ok && Self.failedChecks(base) == ["exchange_secret_configured"],
                    "\(exchange): \(base.body.string)")
            }
            for (exchange, field, value, check) in cases {
                var body = Self.pretradeBase
                body[field] = value
                let response = try await client.send(
                    .POST, "ops/execution/pretrade/\(exchange)/check", token: token, json: body)
                #expect(response.status == .ok)
                #expect(
                    Self.failedChecks(response) == ["exchange_secret_configured", check],
                    "\(field)=\(value): \(response.body.string)")
            }
            // qty, side and symbol are validated.
            for (field, value) in [("qty", -1 as Any), ("qty", 0), ("side", "UP"), ("symbol", "")] {
                var body = Self.pretradeBase
                body[field] = value
                let response = try await client.send(
                    .POST, "ops/execution/pretrade/binance/check", token: token, json: body)
                #expect(
                    response.status == .unprocessableEntity,
                    "\(field)=\(value): \(response.status) \(response.body.string)")
            }
        }
    }

    static var exitBase: [String: Any] {
        [
            "symbol": "AAPL", "side": "BUY", "entry_price": 100, "current_price": 100, "stop_loss": 95,
            "take_profit": 110,
            "opened_minutes": 0, "trend_break": false, "signal_reverse": false, "macro_event_block": false,
            "earnings_within_24h": false,
        ]
    }

    /// Each exit field, sent at a value that meets its condition, triggers exactly its own check.
    @Test(arguments: TestDatabase.all)
    func eachExitFieldFlipsItsCheck(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("exits@trading.co")
            let base = try await client.send(.POST, "ops/execution/exit/ibkr/check", token: token, json: Self.exitBase)
            #expect(
                base.status == .ok && Self.metChecks(base).isEmpty && base.json()["should_exit"] as? Bool == false,
                "\(base.body.string)")
            let cases: [(String, Any, Set<String>)] = [
                ("current_price", 95, ["exit_stop_loss_hit"]),
                ("current_price", 110, ["exit_take_profit_hit"]),
                ("stop_loss", 100, ["exit_stop_loss_hit"]),
                ("take_profit", 100, ["exit_take_profit_hit"]),
                ("entry_price", 0, []),  // 422: entry must be positive
                ("side", "SELL", ["exit_stop_loss_hit", "exit_take_profit_hit"]),
                ("opened_minutes", 480, ["exit_time_limit"]),
                ("trend_break", true, ["exit_trend_break"]),
                ("signal_reverse", true, ["exit_signal_reverse"]),
                ("macro_event_block", true, ["exit_event_risk"]),
                ("earnings_within_24h", true, ["exit_event_risk"]),
            ]
            for (field, value, expected) in cases {
                var body = Self.exitBase
                body[field] = value
                let response = try await client.send(.POST, "ops/execution/exit/ibkr/check", token: token, json: body)
                if expected.isEmpty {
                    #expect(response.status == .unprocessableEntity, "\(field)=\(value): \(response.body.string)")
                    continue
                }
                #expect(response.status == .ok)
                #expect(Self.metChecks(response) == expected, "\(field)=\(value): \(response.body.string)")
                #expect(response.json()["should_exit"] as? Bool == true)
            }
            // Opened 479 minutes ago holds; the limit is the strategy's 480 (SWING_V1).
            var body = Self.exitBase
            body["opened_minutes"] = 479
            #expect(
                Self.metChecks(try await client.send(.POST, "ops/execution/exit/ibkr/check", token: token, json: body))
                    .isEmpty)
        }
    }
}
