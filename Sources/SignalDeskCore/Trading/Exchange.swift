import Foundation

/// The venues SignalDesk trades on.
public enum Exchange: String, Sendable, CaseIterable, Codable, Comparable {
    case binance = "BINANCE"
    case ibkr = "IBKR"
    case bybit = "BYBIT"
    /// dYdX v4 perpetuals (`BTC-USD`), signed with the key of the user's wallet mnemonic.
    case dydx = "DYDX"

    /// The exchanges whose credentials are an API key and secret (`/users/exchange-secrets`);
    /// DYDX's are a mnemonic (`/api/user/credentials`).
    public static let apiKeyExchanges: [Exchange] = [.binance, .ibkr, .bybit]

    /// True for crypto venues, which have the liquidity checks (IBKR has market hours and event risk).
    public var isCrypto: Bool {
        switch self {
        case .binance, .bybit, .dydx: true
        case .ibkr: false
        }
    }

    /// True when this exchange's credentials are an API key and secret.
    public var usesAPIKeys: Bool {
        switch self {
        case .binance, .ibkr, .bybit: true
        case .dydx: false
        }
    }

    /// Parses any case (`binance`, `Binance`, `BINANCE`).
    public init?(parsing text: String) {
        self.init(rawValue: text.trimmingCharacters(in: .whitespaces).uppercased())
    }

    public static func < (lhs: Exchange, rhs: Exchange) -> Bool { lhs.rawValue < rhs.rawValue }
}
