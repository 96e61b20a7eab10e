import Fluent
import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Vapor

/// Closes open positions whose exit rules are met (stop, take, the strategy's maximum hold), on
/// new prices (at most every `priceSpacing`) and every 15 s, with `close_reason` set to the first
/// reason met.
final class PositionMonitor: LifecycleHandler, Sendable {
    /// Prices arrive with alerts, hundreds a second under load; one sweep reads every open
    /// position, so sweeps on prices are at least this far apart (docs/api.md, "Positions").
    static let priceSpacing: Duration = .milliseconds(250)

    let loop: BackgroundLoop

    init(interval: Duration = .seconds(15), priceSpacing: Duration = PositionMonitor.priceSpacing) {
        loop = BackgroundLoop(name: "Position monitor", interval: interval, minimumSpacing: priceSpacing)
    }

    func didBootAsync(_ application: Application) async throws {
        loop.start(app: application, wakeup: application.priceWakeup) { app in
            try await PositionMonitor.sweep(app: app)
            return false
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }

    /// Evaluates every open position with a known price once; returns how many were closed.
    /// Each user's strategy on an exchange is read once per sweep, not once per position: a
    /// trader's positions after a burst share it.
    @discardableResult
    static func sweep(app: Application, now: Date? = nil) async throws -> Int {
        let now = now ?? app.wallClock.now()
        // DYDX positions a TP or SL closed on the chain (issue 23) first: they are flat already.
        var closed = await DydxProtectionSync.sweep(app: app)
        var strategies: [StrategyKey: EffectiveStrategy] = [:]
        let policies = try await app.tradingSettings.current(on: try app.database).policies
        for position in try await Position.query(on: try app.database).filter(\.$status == .open).all() {
            guard let price = await app.marketPrices.last(position.symbol),
                let exchange = Exchange(rawValue: position.exchange)
            else { continue }
            let key = StrategyKey(userID: position.$user.id, exchange: exchange)
            let strategy: EffectiveStrategy
            if let known = strategies[key] {
                strategy = known
            } else {
                strategy = try await EffectiveStrategy.load(
                    userID: key.userID, exchange: exchange, on: try app.database)
                strategies[key] = strategy
            }
            let outcome = ExitRules.evaluate(
                position: position, price: price, strategy: strategy, exchange: exchange, policies: policies,
                now: now)
            guard let reason = outcome.reasons.first else { continue }
            if try await SignalExecution(app: app).closePosition(
                position, clientOrderID: SignalExecution.exitClientOrderID(try position.requireID()), reason: reason,
                signal: nil)
            {
                closed += 1
            }
        }
        return closed
    }
}

/// A user's strategy on an exchange, within one sweep.
private struct StrategyKey: Hashable {
    let userID: UUID
    let exchange: Exchange
}

extension Application {
    private struct PriceWakeupKey: StorageKey {
        typealias Value = SignalWakeup
    }

    /// Woken by every new price (the position monitor waits on it).
    var priceWakeup: SignalWakeup {
        get {
            guard let value = storage[PriceWakeupKey.self] else { fatalError("configure() installs the price wakeup") }
            return value
        }
        set { storage[PriceWakeupKey.self] = newValue }
    }
}
