import Foundation
import SignalDeskCore

/// The exit checks of the core applied to a stored position at a price.
enum ExitRules {
    static func evaluate(position: Position, price: Double, strategy: EffectiveStrategy, exchange: Exchange, now: Date)
        -> ExitCheck.Outcome
    {
        ExitCheck.evaluate(
            .init(
                side: position.side, entryPrice: position.entryPrice, currentPrice: price, stopLoss: position.stopLoss,
                takeProfit: position.takeProfit, openedMinutes: now.timeIntervalSince(position.openedAt) / 60),
            rules: strategy.strategy.rules(on: exchange), exchange: exchange)
    }
}
