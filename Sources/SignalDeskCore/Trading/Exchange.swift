import Foundation

/// The venues a user can hold credentials for.
public enum Exchange: String, Sendable, CaseIterable, Codable, Comparable {
    case binance = "BINANCE"
    case ibkr = "IBKR"
    case bybit = "BYBIT"

    /// Parses any case (`binance`, `Binance`, `BINANCE`).
    public init?(parsing text: String) {
        self.init(rawValue: text.trimmingCharacters(in: .whitespaces).uppercased())
    }

    public static func < (lhs: Exchange, rhs: Exchange) -> Bool { lhs.rawValue < rhs.rawValue }
}
