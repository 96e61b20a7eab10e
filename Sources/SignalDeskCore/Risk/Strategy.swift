/// The trading strategies a user can be assigned per exchange (contract.md), as data.
public enum StrategyID: String, Sendable, CaseIterable, Codable {
    case swingV1 = "SWING_V1"
    case intradayV1 = "INTRADAY_V1"

    /// What a user gets on an exchange without an assignment.
    public static let `default`: StrategyID = .swingV1

    /// The rules of this strategy on `exchange`.
    public func rules(on exchange: Exchange) -> StrategyRules {
        switch (self, exchange) {
        case (.swingV1, .binance), (.swingV1, .bybit), (.swingV1, .dydx):
            StrategyRules(
                minRewardRisk: 1.5, trendTimeframes: ["4H"], signalTimeframes: ["1H"], timingTimeframes: ["15M"],
                minVolume24hUSDT: 50_000_000, maxSpreadBps: 10, maxSlippageBps: 15, maxHoldMinutes: 480)
        case (.swingV1, .ibkr):
            StrategyRules(
                minRewardRisk: 1.5, trendTimeframes: ["1D", "4H"], signalTimeframes: ["1H", "30M"],
                timingTimeframes: ["5M", "15M"], minVolume24hUSDT: nil, maxSpreadBps: nil, maxSlippageBps: nil,
                maxHoldMinutes: 480)
        case (.intradayV1, .binance), (.intradayV1, .bybit), (.intradayV1, .dydx):
            StrategyRules(
                minRewardRisk: 1.3, trendTimeframes: ["1H"], signalTimeframes: ["15M"],
                timingTimeframes: ["5M", "15M"],
                minVolume24hUSDT: 80_000_000, maxSpreadBps: 8, maxSlippageBps: 12, maxHoldMinutes: 240)
        case (.intradayV1, .ibkr):
            StrategyRules(
                minRewardRisk: 1.3, trendTimeframes: ["1H"], signalTimeframes: ["15M"],
                timingTimeframes: ["5M", "15M"],
                minVolume24hUSDT: nil, maxSpreadBps: 8, maxSlippageBps: 12, maxHoldMinutes: 240)
        }
    }
}

/// One row of the strategy table. Crypto venues have liquidity limits; IBKR has none (its checks
/// are market hours and event risk).
public struct StrategyRules: Sendable, Equatable {
    public let minRewardRisk: Double
    public let trendTimeframes: [String]
    public let signalTimeframes: [String]
    public let timingTimeframes: [String]
    public let minVolume24hUSDT: Double?
    public let maxSpreadBps: Double?
    public let maxSlippageBps: Double?
    public let maxHoldMinutes: Int
}

/// A check with its outcome and what it compared, as the pretrade and exit endpoints report them.
public struct RuleCheck: Sendable, Equatable, Codable {
    public let name: String
    public let passed: Bool
    public let detail: String

    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}
