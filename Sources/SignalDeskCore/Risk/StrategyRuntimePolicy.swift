import Foundation

/// The market regime a pretrade or exit check runs in (issue 25, group 12; crypto-saas's regimes).
public enum MarketRegime: String, Sendable, CaseIterable, Codable {
    case bull, bear, range

    /// Where the regime came from: `legacy_default` when the request sends no regime inputs (the
    /// contract's requests), `auto` when it was inferred from them.
    public enum Source: String, Sendable, Codable {
        case legacyDefault = "legacy_default"
        case auto
    }

    /// The regime of a market with trend score `trend`, ATR percent `atr` and momentum score
    /// `momentum`: direction from `0.7·trend + 0.3·momentum` (bull at ≥ 0.25 with ATR ≤ 5 %, bear at
    /// ≤ −0.25 with ATR ≤ 5.5 %), anything else range. No inputs at all (all zero) is `bull`, the
    /// regime whose defaults are the contract's strategy table.
    public static func infer(trend: Double, atr: Double, momentum: Double) -> (regime: MarketRegime, source: Source) {
        if trend == 0 && momentum == 0 && atr == 0 { return (.bull, .legacyDefault) }
        let directional = 0.7 * trend + 0.3 * momentum
        if directional >= 0.25 && atr <= 5.0 { return (.bull, .auto) }
        if directional <= -0.25 && atr <= 5.5 { return (.bear, .auto) }
        return (.range, .auto)
    }
}

/// One strategy's limits on one exchange per market regime, as data an admin may change
/// (`PUT /ops/admin/strategy-runtime-policies/{strategy}/{exchange}`). The `bull` defaults are the
/// contract's strategy table, so a request without regime inputs is judged exactly as before;
/// `bear` and `range` defaults are crypto-saas's (stricter; `range` not allowed).
public struct StrategyRuntimePolicy: Sendable, Equatable {
    public struct Limits: Sendable, Equatable {
        public var allowed: Bool
        public var minRewardRisk: Double
        public var minVolume24hUSDT: Double
        public var maxSpreadBps: Double
        public var maxSlippageBps: Double
        public var maxHoldMinutes: Double

        public init(
            allowed: Bool, minRewardRisk: Double, minVolume24hUSDT: Double, maxSpreadBps: Double,
            maxSlippageBps: Double, maxHoldMinutes: Double
        ) {
            self.allowed = allowed
            self.minRewardRisk = minRewardRisk
            self.minVolume24hUSDT = minVolume24hUSDT
            self.maxSpreadBps = maxSpreadBps
            self.maxSlippageBps = maxSlippageBps
            self.maxHoldMinutes = maxHoldMinutes
        }
    }

    public var bull: Limits
    public var bear: Limits
    public var range: Limits

    public init(bull: Limits, bear: Limits, range: Limits) {
        self.bull = bull
        self.bear = bear
        self.range = range
    }

    public func limits(in regime: MarketRegime) -> Limits {
        switch regime {
        case .bull: bull
        case .bear: bear
        case .range: range
        }
    }

    /// The strategy's rules on `exchange` in `regime`: the contract's timeframes, this policy's
    /// numbers. IBKR has no liquidity checks in the contract, so its volume, spread and slippage
    /// stay unchecked there (stored and shown, as crypto-saas shows them).
    public func rules(_ base: StrategyRules, in regime: MarketRegime, exchange: Exchange) -> StrategyRules {
        let limits = limits(in: regime)
        let crypto = exchange != .ibkr
        return StrategyRules(
            minRewardRisk: limits.minRewardRisk, trendTimeframes: base.trendTimeframes,
            signalTimeframes: base.signalTimeframes, timingTimeframes: base.timingTimeframes,
            minVolume24hUSDT: crypto ? limits.minVolume24hUSDT : base.minVolume24hUSDT,
            maxSpreadBps: crypto ? limits.maxSpreadBps : base.maxSpreadBps,
            maxSlippageBps: crypto ? limits.maxSlippageBps : base.maxSlippageBps,
            maxHoldMinutes: Int(limits.maxHoldMinutes.rounded(.down)))
    }

    /// The policy of `strategy` on `exchange` when no admin stored one.
    public static func defaults(_ strategy: StrategyID, on exchange: Exchange) -> StrategyRuntimePolicy {
        let base = strategy.rules(on: exchange)
        let bull = Limits(
            allowed: true, minRewardRisk: base.minRewardRisk, minVolume24hUSDT: base.minVolume24hUSDT ?? 0,
            maxSpreadBps: base.maxSpreadBps ?? 12,
            maxSlippageBps: base.maxSlippageBps ?? 15, maxHoldMinutes: Double(base.maxHoldMinutes))
        switch (strategy, exchange == .ibkr) {
        case (.swingV1, false):
            return .init(
                bull: bull,
                bear: .init(
                    allowed: true, minRewardRisk: 1.6, minVolume24hUSDT: 70_000_000, maxSpreadBps: 8,
                    maxSlippageBps: 12, maxHoldMinutes: 480),
                range: .init(
                    allowed: false, minRewardRisk: 1.9, minVolume24hUSDT: 90_000_000, maxSpreadBps: 7,
                    maxSlippageBps: 10, maxHoldMinutes: 360))
        case (.swingV1, true):
            return .init(
                bull: bull,
                bear: .init(
                    allowed: true, minRewardRisk: 1.6, minVolume24hUSDT: 0, maxSpreadBps: 10, maxSlippageBps: 12,
                    maxHoldMinutes: 480),
                range: .init(
                    allowed: false, minRewardRisk: 1.8, minVolume24hUSDT: 0, maxSpreadBps: 8, maxSlippageBps: 10,
                    maxHoldMinutes: 360))
        case (.intradayV1, false):
            return .init(
                bull: bull,
                bear: .init(
                    allowed: true, minRewardRisk: 1.4, minVolume24hUSDT: 100_000_000, maxSpreadBps: 7,
                    maxSlippageBps: 10, maxHoldMinutes: 180),
                range: .init(
                    allowed: false, minRewardRisk: 1.6, minVolume24hUSDT: 120_000_000, maxSpreadBps: 6,
                    maxSlippageBps: 8, maxHoldMinutes: 120))
        case (.intradayV1, true):
            return .init(
                bull: bull,
                bear: .init(
                    allowed: true, minRewardRisk: 1.4, minVolume24hUSDT: 0, maxSpreadBps: 8, maxSlippageBps: 10,
                    maxHoldMinutes: 180),
                range: .init(
                    allowed: false, minRewardRisk: 1.6, minVolume24hUSDT: 0, maxSpreadBps: 6, maxSlippageBps: 8,
                    maxHoldMinutes: 120))
        }
    }

    /// The checks a policy adds after the contract's pretrade checks.
    public func regimeCheck(_ regime: MarketRegime) -> RuleCheck {
        let allowed = limits(in: regime).allowed
        return RuleCheck(
            name: "market_regime_allowed", passed: allowed, detail: "regime=\(regime.rawValue) allowed=\(allowed)")
    }
}

/// The policies an admin stored, by strategy and exchange; the defaults for the rest.
public struct StrategyPolicyCatalog: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public let strategy: StrategyID
        public let exchange: Exchange

        public init(_ strategy: StrategyID, _ exchange: Exchange) {
            self.strategy = strategy
            self.exchange = exchange
        }
    }

    public let stored: [Key: StrategyRuntimePolicy]

    public init(stored: [Key: StrategyRuntimePolicy] = [:]) {
        self.stored = stored
    }

    public static let defaults = StrategyPolicyCatalog()

    public func policy(_ strategy: StrategyID, on exchange: Exchange) -> StrategyRuntimePolicy {
        stored[Key(strategy, exchange)] ?? .defaults(strategy, on: exchange)
    }
}

/// `PUT /ops/admin/strategy-runtime-policies/{strategy}/{exchange}`: crypto-saas's ranges (400 naming
/// the field out of range).
public enum StrategyRuntimePolicyUpdate {
    public static func checked(_ policy: StrategyRuntimePolicy) throws(RiskProfileUpdate.Problem)
        -> StrategyRuntimePolicy
    {
        let regimes: [(String, StrategyRuntimePolicy.Limits)] = [
            ("bull", policy.bull), ("bear", policy.bear), ("range", policy.range),
        ]
        var ranges: [(String, Double, ClosedRange<Double>)] = regimes.map {
            ("rr_min_\($0.0)", $0.1.minRewardRisk, 0.1...20)
        }
        ranges += regimes.map { ("min_volume_24h_usdt_\($0.0)", $0.1.minVolume24hUSDT, 0...1e15) }
        ranges += regimes.map { ("max_spread_bps_\($0.0)", $0.1.maxSpreadBps, 0...500) }
        ranges += regimes.map { ("max_slippage_bps_\($0.0)", $0.1.maxSlippageBps, 0...500) }
        ranges += regimes.map { ("max_hold_minutes_\($0.0)", $0.1.maxHoldMinutes, 1...10_080) }
        for (field, value, range) in ranges where !(value.isFinite && range.contains(value)) {
            throw .outOfRange(field)
        }
        return policy
    }
}
