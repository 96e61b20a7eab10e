import Foundation

/// The pretrade checks of contract.md, all evaluated and reported in order.
public enum PretradeCheck {
    /// What the trader proposes and the market looks like.
    public struct Proposal: Sendable, Equatable, Codable {
        public var rewardRisk: Double
        public var trendTimeframe: String
        public var signalTimeframe: String
        public var timingTimeframe: String
        public var spreadBps: Double
        public var slippageBps: Double
        public var volume24hUSDT: Double
        public var inRegularTradingHours: Bool
        public var macroEventBlock: Bool
        public var earningsWithin24h: Bool
        /// The market regime's inputs (issue 25 group 12); all zero is the contract's request.
        public var marketTrendScore: Double
        public var atrPct: Double
        public var momentumScore: Double
        /// The leverage asked for (`max_leverage` check against the risk profile).
        public var leverage: Double

        public init(
            rewardRisk: Double = 2.0, trendTimeframe: String = "4H", signalTimeframe: String = "1H",
            timingTimeframe: String = "15M", spreadBps: Double = 5, slippageBps: Double = 10,
            volume24hUSDT: Double = 100_000_000, inRegularTradingHours: Bool = true, macroEventBlock: Bool = false,
            earningsWithin24h: Bool = false, marketTrendScore: Double = 0, atrPct: Double = 0,
            momentumScore: Double = 0,
            leverage: Double = 1
        ) {
            self.rewardRisk = rewardRisk
            self.trendTimeframe = trendTimeframe
            self.signalTimeframe = signalTimeframe
            self.timingTimeframe = timingTimeframe
            self.spreadBps = spreadBps
            self.slippageBps = slippageBps
            self.volume24hUSDT = volume24hUSDT
            self.inRegularTradingHours = inRegularTradingHours
            self.macroEventBlock = macroEventBlock
            self.earningsWithin24h = earningsWithin24h
            self.marketTrendScore = marketTrendScore
            self.atrPct = atrPct
            self.momentumScore = momentumScore
            self.leverage = leverage
        }

        /// The market regime these inputs describe.
        public var regime: (regime: MarketRegime, source: MarketRegime.Source) {
            MarketRegime.infer(trend: marketTrendScore, atr: atrPct, momentum: momentumScore)
        }
    }

    /// The user's side of the checks: assignment, credentials and today's risk.
    public struct Account: Sendable {
        public var strategyEnabled: Bool
        public var strategy: StrategyID
        public var secretConfigured: Bool
        public var limits: RiskLimits
        public var risk: OpenRiskCheck.State
        /// The strategy's runtime policy on the exchange; nil for the defaults.
        public var policy: StrategyRuntimePolicy?

        public init(
            strategyEnabled: Bool, strategy: StrategyID, secretConfigured: Bool, limits: RiskLimits,
            risk: OpenRiskCheck.State, policy: StrategyRuntimePolicy? = nil
        ) {
            self.strategyEnabled = strategyEnabled
            self.strategy = strategy
            self.secretConfigured = secretConfigured
            self.limits = limits
            self.risk = risk
            self.policy = policy
        }
    }

    /// The contract's checks in its order, with the numbers of the strategy's runtime policy in the
    /// proposal's market regime, then `market_regime_allowed` and `max_leverage` (issue 25).
    public static func evaluate(exchange: Exchange, account: Account, proposal: Proposal, now: Date) -> [RuleCheck] {
        let regime = proposal.regime.regime
        let policy = account.policy ?? .defaults(account.strategy, on: exchange)
        let rules = policy.rules(account.strategy.rules(on: exchange), in: regime, exchange: exchange)
        let profile = account.limits.rules
        let risk = account.risk
        var checks: [RuleCheck] = [
            RuleCheck(
                name: "strategy_enabled", passed: account.strategyEnabled,
                detail: "enabled=\(account.strategyEnabled) strategy=\(account.strategy.rawValue)"),
            RuleCheck(
                name: "exchange_secret_configured", passed: account.secretConfigured,
                detail: "configured=\(account.secretConfigured) exchange=\(exchange.rawValue)"),
            RuleCheck(
                name: "daily_stop_not_reached", passed: risk.realizedPnLToday > account.limits.dailyStop,
                detail: "realized_pnl=\(number(risk.realizedPnLToday)) daily_stop=\(number(account.limits.dailyStop))"),
            RuleCheck(
                name: "max_trades_not_reached", passed: risk.tradesToday < profile.maxTradesPerDay,
                detail: "trades=\(risk.tradesToday)/\(profile.maxTradesPerDay)"),
            RuleCheck(
                name: "max_open_positions_not_reached", passed: risk.committedPositions < profile.maxOpenPositions,
                detail: "open=\(risk.committedPositions)/\(profile.maxOpenPositions)"),
            cooldown(last: risk.lastActivityAt, minutes: profile.cooldownMinutes, now: now),
            RuleCheck(
                name: "strategy_rr_min",
                passed: proposal.rewardRisk.isFinite && proposal.rewardRisk >= rules.minRewardRisk,
                detail: "value=\(number(proposal.rewardRisk)) min=\(number(rules.minRewardRisk))"),
            timeframe("strategy_trend_tf", proposal.trendTimeframe, rules.trendTimeframes),
            timeframe("strategy_signal_tf", proposal.signalTimeframe, rules.signalTimeframes),
            timeframe("strategy_timing_tf", proposal.timingTimeframe, rules.timingTimeframes),
        ]
        switch exchange {
        case .binance, .bybit, .dydx:
            let minVolume = rules.minVolume24hUSDT ?? 0
            let maxSpread = rules.maxSpreadBps ?? .infinity
            let maxSlippage = rules.maxSlippageBps ?? .infinity
            checks += [
                RuleCheck(
                    name: "liq_volume_24h", passed: proposal.volume24hUSDT >= minVolume,
                    detail: "value=\(number(proposal.volume24hUSDT)) min=\(number(minVolume))"),
                RuleCheck(
                    name: "liq_spread_bps", passed: proposal.spreadBps <= maxSpread,
                    detail: "value=\(number(proposal.spreadBps)) max=\(number(maxSpread))"),
                RuleCheck(
                    name: "liq_slippage_bps", passed: proposal.slippageBps <= maxSlippage,
                    detail: "value=\(number(proposal.slippageBps)) max=\(number(maxSlippage))"),
            ]
        case .ibkr:
            checks += [
                RuleCheck(
                    name: "ibkr_in_rth", passed: proposal.inRegularTradingHours,
                    detail: "in_rth=\(proposal.inRegularTradingHours)"),
                RuleCheck(
                    name: "ibkr_no_macro_block", passed: !proposal.macroEventBlock,
                    detail: "macro_event_block=\(proposal.macroEventBlock)"),
                RuleCheck(
                    name: "ibkr_no_earnings_24h", passed: !proposal.earningsWithin24h,
                    detail: "earnings_within_24h=\(proposal.earningsWithin24h)"),
            ]
        }
        checks.append(policy.regimeCheck(regime))
        checks.append(
            RuleCheck(
                name: "max_leverage", passed: proposal.leverage.isFinite && proposal.leverage <= profile.maxLeverage,
                detail: "value=\(number(proposal.leverage)) max=\(number(profile.maxLeverage))"))
        return checks
    }

    private static func cooldown(last: Date?, minutes: Double, now: Date) -> RuleCheck {
        guard let last else {
            return RuleCheck(
                name: "cooldown_passed", passed: true, detail: "minutes_since_last=none cooldown=\(number(minutes))")
        }
        let since = now.timeIntervalSince(last) / 60
        return RuleCheck(
            name: "cooldown_passed", passed: since >= minutes,
            detail: "minutes_since_last=\(number(since)) cooldown=\(number(minutes))")
    }

    private static func timeframe(_ name: String, _ value: String, _ allowed: [String]) -> RuleCheck {
        let normalized = value.trimmingCharacters(in: .whitespaces).uppercased()
        return RuleCheck(
            name: name, passed: allowed.contains(normalized),
            detail: "value=\(normalized) allowed=[\(allowed.joined(separator: ","))]")
    }

    /// Numbers in details: integers without a fraction, others with up to two decimals.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.2f", value)
    }
}
