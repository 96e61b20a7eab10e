/// A user's limits in currency: the profile's percentages applied to their capital base.
public struct RiskLimits: Sendable, Equatable {
    /// The profile's name (a built-in ``RiskProfile`` or one an admin stored).
    public let profileName: String
    /// The profile's limits as they are now (built-in, or changed by an admin).
    public let rules: RiskProfile.Limits
    public let capitalBaseUSD: Double

    public init(profileName: String, rules: RiskProfile.Limits, capitalBaseUSD: Double) {
        self.profileName = profileName
        self.rules = rules
        self.capitalBaseUSD = capitalBaseUSD
    }

    /// A built-in profile with its built-in limits.
    public init(profile: RiskProfile, capitalBaseUSD: Double) {
        self.init(profileName: profile.rawValue, rules: profile.limits, capitalBaseUSD: capitalBaseUSD)
    }

    /// The realized PnL at which the day stops: `-capital * max_daily_loss_pct / 100` (negative).
    public var dailyStop: Double { -capitalBaseUSD * rules.maxDailyLossPct / 100 }

    /// The most one trade may risk: `capital * risk_per_trade_pct / 100`.
    public var maxRiskPerTrade: Double { capitalBaseUSD * rules.riskPerTradePct / 100 }

    /// What a position of `qty` risks between `entry` and `stop`.
    public static func riskOf(qty: Double, entry: Double, stop: Double) -> Double {
        qty * abs(entry - stop)
    }

    /// How far the day's realized PnL is above the daily stop, never negative.
    public func remainingLossBuffer(realizedPnLToday: Double) -> Double {
        max(0, realizedPnLToday - dailyStop)
    }

    /// Trades left today, never negative.
    public func remainingTrades(tradesToday: Int) -> Int {
        max(0, rules.maxTradesPerDay - tradesToday)
    }
}
