/// The exit checks of contract.md. Each check's `passed` is true when its exit condition is met;
/// the position should exit when any is.
public enum ExitCheck {
    public struct Situation: Sendable {
        public var side: TradeSide
        public var entryPrice: Double
        public var currentPrice: Double
        public var stopLoss: Double?
        public var takeProfit: Double?
        public var openedMinutes: Double
        public var trendBreak: Bool
        public var signalReverse: Bool
        public var macroEventBlock: Bool
        public var earningsWithin24h: Bool

        public init(
            side: TradeSide, entryPrice: Double, currentPrice: Double, stopLoss: Double?, takeProfit: Double?,
            openedMinutes: Double = 0, trendBreak: Bool = false, signalReverse: Bool = false,
            macroEventBlock: Bool = false, earningsWithin24h: Bool = false
        ) {
            self.side = side
            self.entryPrice = entryPrice
            self.currentPrice = currentPrice
            self.stopLoss = stopLoss
            self.takeProfit = takeProfit
            self.openedMinutes = openedMinutes
            self.trendBreak = trendBreak
            self.signalReverse = signalReverse
            self.macroEventBlock = macroEventBlock
            self.earningsWithin24h = earningsWithin24h
        }
    }

    public struct Outcome: Sendable, Equatable {
        public let checks: [RuleCheck]
        /// Reasons of the met conditions, in check order.
        public let reasons: [String]
        public var shouldExit: Bool { !reasons.isEmpty }
    }

    public static func evaluate(_ situation: Situation, rules: StrategyRules, exchange: Exchange) -> Outcome {
        let s = situation
        let current = s.currentPrice
        let stopHit: Bool = s.stopLoss.map { stop in s.side == .long ? current <= stop : current >= stop } ?? false
        let takeHit: Bool = s.takeProfit.map { take in s.side == .long ? current >= take : current <= take } ?? false
        var entries: [(RuleCheck, String)] = [
            (
                RuleCheck(
                    name: "exit_stop_loss_hit", passed: stopHit,
                    detail:
                        "current=\(PretradeCheck.number(current)) stop=\(s.stopLoss.map(PretradeCheck.number) ?? "none") side=\(s.side.orderWord)"
                ),
                "stop_loss_hit"
            ),
            (
                RuleCheck(
                    name: "exit_take_profit_hit", passed: takeHit,
                    detail:
                        "current=\(PretradeCheck.number(current)) take=\(s.takeProfit.map(PretradeCheck.number) ?? "none") side=\(s.side.orderWord)"
                ),
                "take_profit_hit"
            ),
            (
                RuleCheck(
                    name: "exit_time_limit", passed: s.openedMinutes >= Double(rules.maxHoldMinutes),
                    detail: "opened_minutes=\(PretradeCheck.number(s.openedMinutes)) max=\(rules.maxHoldMinutes)"),
                "time_limit_reached"
            ),
            (
                RuleCheck(name: "exit_trend_break", passed: s.trendBreak, detail: "trend_break=\(s.trendBreak)"),
                "trend_break"
            ),
            (
                RuleCheck(
                    name: "exit_signal_reverse", passed: s.signalReverse, detail: "signal_reverse=\(s.signalReverse)"),
                "signal_reverse"
            ),
        ]
        if exchange == .ibkr {
            let eventRisk = s.macroEventBlock || s.earningsWithin24h
            entries.append(
                (
                    RuleCheck(
                        name: "exit_event_risk", passed: eventRisk,
                        detail: "macro_event_block=\(s.macroEventBlock) earnings_within_24h=\(s.earningsWithin24h)"),
                    "event_risk_exit"
                ))
        }
        return Outcome(checks: entries.map(\.0), reasons: entries.filter(\.0.passed).map(\.1))
    }
}

extension TradeSide {
    /// `BUY` for LONG, `SELL` for SHORT: the words of the exit endpoint and of order APIs.
    public var orderWord: String {
        switch self {
        case .long: "BUY"
        case .short: "SELL"
        }
    }
}
