import Foundation

/// A webhook alert parsed from its body (TradingView's JSON, sent as `application/json`, or as
/// `text/plain` when the message is not strict JSON but still holds an object).
public struct TradingViewAlert: Sendable, Equatable {
    public enum Action: String, Sendable {
        case buy, sell, close
    }

    public var secret: String?
    public var rawSymbol: String
    public var symbol: InstrumentSymbol
    public var action: Action
    public var orderType: SignalOrderType
    public var price: Double?
    public var qty: Double?
    public var takeProfit: Double?
    public var stopLoss: Double?
    public var exchange: Exchange?
    public var strategy: String?
    public var alertID: String?
    public var timestamp: Date?

    /// The direction of an opening alert; nil for close/exit.
    public var side: TradeSide? {
        switch action {
        case .buy: .long
        case .sell: .short
        case .close: nil
        }
    }

    /// A problem with the alert, with the 400 message a sender can act on.
    public struct Problem: Error, Equatable, Sendable {
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// The JSON object in a body, or nil when the body is not one.
    public static func object(from body: [UInt8]) -> [String: JSONValue]? {
        guard case .object(let object)? = JSONValue.parse(body) else { return nil }
        return object
    }

    /// The credential in an alert body: `secret`, `webhook_secret`, `token` or `key`.
    public static func secret(in object: [String: JSONValue]) -> String? {
        for key in ["secret", "webhook_secret", "token", "key"] {
            if case .string(let value)? = object[key], !value.isEmpty { return value }
        }
        return nil
    }

    public static func parse(_ object: [String: JSONValue]) throws(Problem) -> TradingViewAlert {
        // Databases refuse NUL in text (PostgreSQL errors); no field of an alert needs one.
        for value in object.values {
            if case .string(let text) = value, text.unicodeScalars.contains("\u{0}") {
                throw Problem("Text values must not contain NUL characters")
            }
        }
        guard let rawSymbol = string(object, ["symbol", "ticker"]) else {
            throw Problem("Missing symbol (send symbol or ticker)")
        }
        guard let symbol = InstrumentSymbol.parse(rawSymbol) else {
            throw Problem("Invalid symbol '\(rawSymbol.prefix(40))'")
        }
        guard let sideText = string(object, ["side", "action"]) else {
            throw Problem("Missing side (send side or action)")
        }
        let action: Action
        switch sideText.lowercased() {
        case "buy", "long": action = .buy
        case "sell", "short": action = .sell
        case "close", "exit", "flat": action = .close
        default:
            throw Problem("Invalid side '\(sideText.prefix(20))': must be one of buy, sell, long, short, close, exit")
        }
        let givenOrderType = (string(object, ["order_type", "type"]) ?? "market").lowercased()
        guard let orderType = SignalOrderType(rawValue: givenOrderType) else {
            throw Problem("Invalid order_type '\(givenOrderType.prefix(20))': must be market or limit")
        }
        let price = try number(object, ["price"], name: "price")
        let qty = try number(object, ["size", "qty", "quantity", "contracts"], name: "size")
        let takeProfit = try number(object, ["take_profit", "tp"], name: "take_profit")
        let stopLoss = try number(object, ["stop_loss", "sl"], name: "stop_loss")
        if orderType == .limit && price == nil { throw Problem("A limit order needs a price") }
        if let price, let side = action == .buy ? TradeSide.long : action == .sell ? .short : nil {
            if let stopLoss, side == .long ? stopLoss >= price : stopLoss <= price {
                throw Problem(
                    "stop_loss must be \(side == .long ? "below" : "above") price for a \(action.rawValue) alert")
            }
            if let takeProfit, side == .long ? takeProfit <= price : takeProfit >= price {
                throw Problem(
                    "take_profit must be \(side == .long ? "above" : "below") price for a \(action.rawValue) alert")
            }
        }
        var exchange: Exchange?
        if let text = string(object, ["exchange"]) {
            guard let parsed = Exchange(parsing: text) else {
                throw Problem("Unknown exchange '\(text.prefix(20))': must be BINANCE, BYBIT, DYDX or IBKR")
            }
            exchange = parsed
        } else if InstrumentSymbol.namesDydxMarket(rawSymbol) {
            exchange = .dydx
        }
        let strategy = string(object, ["strategy", "module"])
        if let strategy, strategy.count > 64 { throw Problem("strategy must be at most 64 characters") }
        var alertID: String?
        if let value = object["alert_id"] ?? object["id"], value != .null {
            let text = value.text ?? ""
            guard (1...128).contains(text.count) else { throw Problem("alert_id must be 1 to 128 characters") }
            alertID = text
        }
        var timestamp: Date?
        if let value = object["timestamp"] ?? object["time"], value != .null {
            guard let date = date(value) else {
                throw Problem("timestamp must be ISO-8601 (like {{timenow}}) or unix seconds")
            }
            timestamp = date
        }
        return TradingViewAlert(
            secret: secret(in: object), rawSymbol: rawSymbol, symbol: symbol, action: action, orderType: orderType,
            price: price,
            qty: qty, takeProfit: takeProfit, stopLoss: stopLoss, exchange: exchange, strategy: strategy,
            alertID: alertID,
            timestamp: timestamp)
    }

    /// True when the alert carries a timestamp older than `maxAge` seconds (or further than a
    /// minute in the future, a clock problem worth refusing too).
    public func isStale(now: Date, maxAge: TimeInterval) -> Bool {
        guard let timestamp else { return false }
        return now.timeIntervalSince(timestamp) > maxAge || timestamp.timeIntervalSince(now) > 60
    }

    static func string(_ object: [String: JSONValue], _ keys: [String]) -> String? {
        for key in keys {
            if case .string(let text)? = object[key] {
                let trimmed = text.trimmingWhitespace
                if !trimmed.isEmpty { return trimmed }
            }
        }
        return nil
    }

    /// A positive finite number, sent as a JSON number or a numeric string (TradingView renders
    /// placeholders inside quotes as text).
    static func number(_ object: [String: JSONValue], _ keys: [String], name: String) throws(Problem) -> Double? {
        for key in keys {
            guard let value = object[key], value != .null else { continue }
            let number: Double? =
                switch value {
                case .string(let text): Double(text.trimmingWhitespace)
                case .number(let number): number
                default: nil
                }
            guard let number, number.isFinite, number > 0 else { throw Problem("\(name) must be a positive number") }
            return number
        }
        return nil
    }

    static func date(_ value: JSONValue) -> Date? {
        switch value {
        case .number(let seconds):
            return unix(seconds)
        case .string(let text):
            let trimmed = text.trimmingWhitespace
            if let seconds = Double(trimmed) { return unix(seconds) }
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: trimmed) { return date }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: trimmed)
        default:
            return nil
        }
    }

    /// Unix seconds, or milliseconds when the number is that large.
    static func unix(_ value: Double) -> Date? {
        guard value.isFinite, value > 0 else { return nil }
        return Date(timeIntervalSince1970: value > 100_000_000_000 ? value / 1000 : value)
    }
}
