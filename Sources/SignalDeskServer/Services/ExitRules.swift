import Foundation
import SignalDeskCore

/// The exit checks of the core applied to a stored position at a price. A stored position has no
/// market-regime inputs: its time limit is the strategy runtime policy's `bull` one (issue 25 group
/// 12), the contract's table unless an admin changed it.
enum ExitRules {
    static func evaluate(
        position: Position, price: Double, strategy: EffectiveStrategy, exchange: Exchange,
        policies: StrategyPolicyCatalog, now: Date
    ) -> ExitCheck.Outcome {
        let base = strategy.strategy.rules(on: exchange)
        return ExitCheck.evaluate(
            .init(
                side: position.side, entryPrice: position.entryPrice, currentPrice: price, stopLoss: position.stopLoss,
                takeProfit: position.takeProfit, openedMinutes: now.timeIntervalSince(position.openedAt) / 60),
            rules: policies.policy(strategy.strategy, on: exchange).rules(base, in: .bull, exchange: exchange),
            exchange: exchange)
    }
}
