import Fluent
import Foundation
import SignalDeskCore

/// A user's API credentials for one exchange, both halves sealed with the key ring.
final class ExchangeSecret: Model, @unchecked Sendable {
    static let schema = "exchange_secrets"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Enum(key: "exchange") var exchange: Exchange
    @Field(key: "api_key_sealed") var apiKeySealed: String
    @Field(key: "api_secret_sealed") var apiSecretSealed: String
    @Field(key: "api_key_masked") var apiKeyMasked: String
    /// The key id both halves were sealed under (kept in step by upserts and rotation).
    @Field(key: "key_id") var keyID: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

/// Which strategy a user trades on an exchange, and whether that exchange is enabled for them.
/// No row means enabled with SWING_V1.
final class StrategyAssignment: Model, @unchecked Sendable {
    static let schema = "strategy_assignments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Enum(key: "exchange") var exchange: Exchange
    @Field(key: "strategy_id") var strategyID: String
    @Field(key: "enabled") var enabled: Bool
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(userID: UUID, exchange: Exchange, strategyID: String, enabled: Bool) {
        self.$user.id = userID
        self.exchange = exchange
        self.strategyID = strategyID
        self.enabled = enabled
    }
}

enum ExchangeAccess {
    /// False when an assignment disables `exchange` for the user.
    static func isEnabled(userID: UUID, exchange: Exchange, on db: any Database) async throws -> Bool {
        try await EffectiveStrategy.load(userID: userID, exchange: exchange, on: db).enabled
    }
}
