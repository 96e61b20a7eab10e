import Foundation

/// The direction of a signal or position.
public enum TradeSide: String, Sendable, CaseIterable, Codable {
    case long = "LONG"
    case short = "SHORT"

    /// Parses `LONG`/`SHORT` and the order words `BUY`/`SELL`, in any case.
    public init?(parsing text: String) {
        switch text.trimmingCharacters(in: .whitespaces).uppercased() {
        case "LONG", "BUY": self = .long
        case "SHORT", "SELL": self = .short
        default: return nil
        }
    }

    /// LONG when the stop is below the entry, SHORT when above; nil when they are equal.
    public static func inferred(entry: Double, stop: Double) -> TradeSide? {
        if stop < entry { return .long }
        if stop > entry { return .short }
        return nil
    }

    /// Realized PnL of closing `qty` opened at `entry` at `exit`, after `fees`:
    /// LONG `(exit-entry)*qty-fees`, SHORT `(entry-exit)*qty-fees`.
    public func realizedPnL(entry: Double, exit: Double, qty: Double, fees: Double) -> Double {
        switch self {
        case .long: (exit - entry) * qty - fees
        case .short: (entry - exit) * qty - fees
        }
    }
}
