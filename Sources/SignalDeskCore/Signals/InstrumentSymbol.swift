import Foundation

/// A traded instrument parsed from any of TradingView's symbol forms, and written in the form
/// each venue expects.
///
/// Accepted: `BINANCE:BTCUSDT` (exchange prefix), `BTCUSDT.P` (perpetual suffix), `BTCUSDT`,
/// `BTC/USDT`, `BTC-USD`, `AAPL`. A symbol without a separator is split at a known quote currency
/// at its end; one without a quote is an equity or an index (IBKR style).
public struct InstrumentSymbol: Sendable, Equatable {
    public let base: String
    public let quote: String?

    /// Quote currencies recognised at the end of a compact symbol, longest first.
    static let quotes = ["FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH", "BNB"]

    public enum Style: Sendable {
        /// `BTCUSDT` (USD quotes become USDT: Binance and Bybit list no USD pairs).
        case binance, bybit
        /// `BTC-USD` (stable-coin quotes become USD).
        case dydx
        /// `AAPL`; crypto pairs as their base.
        case ibkr
    }

    public init(base: String, quote: String?) {
        self.base = base
        self.quote = quote
    }

    /// Parses a TradingView symbol; nil when it is empty or holds characters no venue uses.
    public static func parse(_ raw: String) -> InstrumentSymbol? {
        var text = raw.trimmingWhitespace.uppercased()
        if let colon = text.lastIndex(of: ":") { text = String(text[text.index(after: colon)...]) }
        for suffix in [".P", ".PERP", "PERP"] where text.hasSuffix(suffix) && text.count > suffix.count {
            text.removeLast(suffix.count)
            break
        }
        guard !text.isEmpty, text.count <= 32 else { return nil }
        for separator in ["/", "-", "_"] where text.contains(separator) {
            let parts = text.split(separator: Character(separator), omittingEmptySubsequences: false)
            guard parts.count == 2, isAlphanumeric(parts[0]), isAlphanumeric(parts[1]) else { return nil }
            return InstrumentSymbol(base: String(parts[0]), quote: String(parts[1]))
        }
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") }) else { return nil }
        for quote in quotes where text.hasSuffix(quote) && text.count > quote.count {
            return InstrumentSymbol(base: String(text.dropLast(quote.count)), quote: quote)
        }
        return InstrumentSymbol(base: text, quote: nil)
    }

    /// The symbol in `style`.
    public func formatted(_ style: Style) -> String {
        switch style {
        case .binance, .bybit:
            guard let quote else { return base }
            return base + (quote == "USD" ? "USDT" : quote)
        case .dydx:
            guard let quote else { return base + "-USD" }
            return base + "-" + (["USDT", "USDC", "BUSD", "TUSD", "FDUSD"].contains(quote) ? "USD" : quote)
        case .ibkr:
            return base
        }
    }

    /// True when `raw` names a dYdX market: `BTC-USD` (after any `EXCHANGE:` prefix), the form the
    /// dYdX service's alerts use. Such an alert selects exchange `DYDX` unless it names another.
    public static func namesDydxMarket(_ raw: String) -> Bool {
        var text = raw.trimmingWhitespace.uppercased()
        if let colon = text.lastIndex(of: ":") { text = String(text[text.index(after: colon)...]) }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[1] == "USD" && isAlphanumeric(parts[0])
    }

    private static func isAlphanumeric(_ part: Substring) -> Bool {
        !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}

extension Exchange {
    /// How this exchange writes symbols.
    public var symbolStyle: InstrumentSymbol.Style {
        switch self {
        case .binance: .binance
        case .bybit: .bybit
        case .ibkr: .ibkr
        case .dydx: .dydx
        }
    }
}
