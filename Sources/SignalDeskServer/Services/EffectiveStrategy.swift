import Fluent
import SignalDeskCore
import Vapor

/// A user's strategy on an exchange: the assignment, or SWING_V1 enabled by default.
struct EffectiveStrategy {
    let strategy: StrategyID
    let enabled: Bool
    /// `assignment` or `default`.
    let source: String

    static func load(userID: UUID, exchange: Exchange, on db: any Database) async throws -> EffectiveStrategy {
        guard
            let row = try await StrategyAssignment.query(on: db).filter(\.$user.$id == userID).filter(
                \.$exchange == exchange
            ).first(),
            let strategy = StrategyID(rawValue: row.strategyID)
        else { return EffectiveStrategy(strategy: .default, enabled: true, source: "default") }
        return EffectiveStrategy(strategy: strategy, enabled: row.enabled, source: "assignment")
    }
}
