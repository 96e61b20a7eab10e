import Foundation
import SignalDeskCore
import Testing

@Suite struct InstrumentSymbolTests {
    @Test(arguments: [
        ("BINANCE:BTCUSDT", "BTCUSDT", "BTC-USD", "BTC"), ("BTCUSDT.P", "BTCUSDT", "BTC-USD", "BTC"),
        ("BTCUSDT", "BTCUSDT", "BTC-USD", "BTC"), ("BTC/USDT", "BTCUSDT", "BTC-USD", "BTC"),
        ("BTC-USD", "BTCUSDT", "BTC-USD", "BTC"), ("AVAXUSDT", "AVAXUSDT", "AVAX-USD", "AVAX"),
        ("bybit:ethusdc.p", "ETHUSDC", "ETH-USD", "ETH"), ("NASDAQ:AAPL", "AAPL", "AAPL-USD", "AAPL"),
        ("ETHBTC", "ETHBTC", "ETH-BTC", "ETH"), ("SOL_USDT", "SOLUSDT", "SOL-USD", "SOL"),
    ])
    func formsNormalisePerVenue(raw: String, binance: String, dydx: String, ibkr: String) throws {
        let symbol = try #require(InstrumentSymbol.parse(raw))
        #expect(symbol.formatted(.binance) == binance)
        #expect(symbol.formatted(.bybit) == binance)
        #expect(symbol.formatted(.dydx) == dydx)
        #expect(symbol.formatted(.ibkr) == ibkr)
    }

    @Test(arguments: [
        "", "  ", "BTC/", "/USDT", "BTC USDT", "BTC/US/DT", "<script>", String(repeating: "A", count: 40),
    ])
    func rejectsWhatNoVenueTrades(_ raw: String) {
        #expect(InstrumentSymbol.parse(raw) == nil)
    }
}

@Suite struct TradingViewAlertTests {
    func parse(_ json: String) throws(TradingViewAlert.Problem) -> TradingViewAlert {
        try TradingViewAlert.parse(TradingViewAlert.object(from: Array(json.utf8))!)
    }

    func problem(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func everyFieldAndAlias() throws {
        let alert = try parse(
            """
            {"secret":"s3","ticker":"BINANCE:BTCUSDT","action":"BUY","order_type":"limit","price":"30000.5","qty":0.01,
             "take_profit":31000,"stop_loss":29500,"exchange":"bybit","strategy":"swing","id":42,"timestamp":"2026-11-22T01:00:00Z"}
            """)
        #expect(
            alert.secret == "s3" && alert.rawSymbol == "BINANCE:BTCUSDT" && alert.symbol.formatted(.bybit) == "BTCUSDT")
        #expect(alert.action == .buy && alert.side == .long && alert.orderType == .limit && alert.price == 30000.5)
        #expect(alert.qty == 0.01 && alert.takeProfit == 31000 && alert.stopLoss == 29500 && alert.exchange == .bybit)
        #expect(alert.strategy == "swing" && alert.alertID == "42")
        #expect(alert.timestamp == ISO8601DateFormatter().date(from: "2026-11-22T01:00:00Z"))
        for (key, value) in [("webhook_secret", "a"), ("token", "b"), ("key", "c")] {
            let json = #"{"\#(key)":"\#(value)","symbol":"BTCUSDT","side":"sell"}"#
            #expect(TradingViewAlert.secret(in: TradingViewAlert.object(from: Array(json.utf8))!) == value)
        }
        #expect(try parse(#"{"symbol":"X1","side":"short","size":"2"}"#).qty == 2)
        #expect(try parse(#"{"symbol":"X1","side":"Exit","quantity":3}"#).action == .close)
        #expect(try parse(#"{"symbol":"X1","side":"close"}"#).side == nil)
        #expect(
            try parse(#"{"symbol":"X1","side":"long","alert_id":"abc","timestamp":1795000000}"#).timestamp
                == Date(timeIntervalSince1970: 1_795_000_000))
        #expect(
            try parse(#"{"symbol":"X1","side":"long","timestamp":1795000000000}"#).timestamp
                == Date(timeIntervalSince1970: 1_795_000_000))
    }

    @Test func preciseProblems() {
        #expect(problem(#"{"side":"buy"}"#) == "Missing symbol (send symbol or ticker)")
        #expect(problem(#"{"symbol":"BTC USDT","side":"buy"}"#) == "Invalid symbol 'BTC USDT'")
        #expect(problem(#"{"symbol":"BTCUSDT"}"#) == "Missing side (send side or action)")
        #expect(
            problem(#"{"symbol":"BTCUSDT","side":"hodl"}"#)
                == "Invalid side 'hodl': must be one of buy, sell, long, short, close, exit")
        #expect(
            problem(#"{"symbol":"BTCUSDT","side":"buy","order_type":"stop"}"#)
                == "Invalid order_type 'stop': must be market or limit")
        #expect(problem(#"{"symbol":"BTCUSDT","side":"buy","order_type":"limit"}"#) == "A limit order needs a price")
        #expect(problem(#"{"symbol":"BTCUSDT","side":"buy","price":-1}"#) == "price must be a positive number")
        #expect(problem(#"{"symbol":"BTCUSDT","side":"buy","price":"{{close}}"}"#) == "price must be a positive number")
        #expect(problem(#"{"symbol":"BTCUSDT","side":"buy","qty":true}"#) == "size must be a positive number")
        #expect(
            problem(#"{"symbol":"BTCUSDT","side":"buy","price":100,"stop_loss":101}"#)
                == "stop_loss must be below price for a buy alert")
        #expect(
            problem(#"{"symbol":"BTCUSDT","side":"sell","price":100,"take_profit":101}"#)
                == "take_profit must be below price for a sell alert")
        #expect(
            problem(#"{"symbol":"BTCUSDT","side":"buy","exchange":"kraken"}"#)
                == "Unknown exchange 'kraken': must be BINANCE, BYBIT, DYDX or IBKR")
        #expect(problem(#"{"symbol":"BTCUSDT","side":"buy","alert_id":""}"#) == "alert_id must be 1 to 128 characters")
        #expect(
            problem(#"{"symbol":"BTCUSDT","side":"buy","timestamp":"yesterday"}"#)
                == "timestamp must be ISO-8601 (like {{timenow}}) or unix seconds")
        #expect(TradingViewAlert.object(from: Array("not json".utf8)) == nil)
        #expect(TradingViewAlert.object(from: Array("[1,2]".utf8)) == nil)
    }

    @Test func staleness() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var alert = try parse(#"{"symbol":"BTCUSDT","side":"buy"}"#)
        #expect(!alert.isStale(now: now, maxAge: 300))
        alert.timestamp = now.addingTimeInterval(-300)
        #expect(!alert.isStale(now: now, maxAge: 300))
        alert.timestamp = now.addingTimeInterval(-301)
        #expect(alert.isStale(now: now, maxAge: 300))
        alert.timestamp = now.addingTimeInterval(120)
        #expect(alert.isStale(now: now, maxAge: 300))
    }
}

@Suite struct WhitespaceTrimTests {
    /// Alert fields are trimmed of `CharacterSet.whitespaces` (tab and Unicode space separators,
    /// not line breaks), as Foundation's `trimmingCharacters(in: .whitespaces)` trimmed them.
    @Test(arguments: [
        " BTCUSDT ", "\tbuy\t", "\u{a0}sell\u{3000}", "\u{2003} long", "buy\n", "\nbuy", " ", "", "\u{a0}", "b u y",
        "é ", " 😀",
    ])
    func fieldsAreTrimmedAsFoundationTrims(_ text: String) throws {
        let json =
            #"{"symbol":"BTCUSDT","side":"buy","strategy":"\#(text.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t"))"}"#
        let object = try #require(TradingViewAlert.object(from: Array(json.utf8)))
        let alert = try TradingViewAlert.parse(object)
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        #expect(alert.strategy == (trimmed.isEmpty ? nil : trimmed))
    }
}
