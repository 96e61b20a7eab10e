import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// A user's side of the pretrade checks on one exchange, read once: the strategy assignment, the
/// credentials, the risk profile and today's risk. A scan evaluates every candidate against one
/// read, so its candidates are judged against the same state.
struct PretradeAccount {
    let exchange: Exchange
    let strategy: EffectiveStrategy
    let limits: RiskLimits
    let account: PretradeCheck.Account
    let now: Date

    static func load(user: User, exchange: Exchange, app: Application, on db: any Database) async throws
        -> PretradeAccount
    {
        let userID = try user.requireID()
        let strategy = try await EffectiveStrategy.load(userID: userID, exchange: exchange, on: db)
        let book = PositionBook(app: app, db: db)
        let settings = try await app.tradingSettings.current(on: db)
        let limits = book.limits(for: user, profiles: settings.profiles)
        let now = app.wallClock.now()
        let risk = try await book.riskState(userID: userID, day: book.calendar.day(of: now), on: db)
        let configured = try await TradingCredentials.configured(
            userID: userID, exchange: exchange, dydxNetwork: app.appConfig.dydxNetwork, on: db)
        return PretradeAccount(
            exchange: exchange, strategy: strategy, limits: limits,
            account: .init(
                strategyEnabled: strategy.enabled, strategy: strategy.strategy, secretConfigured: configured,
                limits: limits, risk: risk, policy: settings.policies.policy(strategy.strategy, on: exchange)),
            now: now)
    }

    /// The checks of contract.md, in order, for one proposal.
    func evaluate(_ proposal: PretradeCheck.Proposal) -> [RuleCheck] {
        PretradeCheck.evaluate(exchange: exchange, account: account, proposal: proposal, now: now)
    }
}
