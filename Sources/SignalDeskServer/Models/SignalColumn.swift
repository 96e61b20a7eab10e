import Fluent

/// The columns of `signals`: the one list the model's keys, the inserts of new signals on both
/// databases (``NewSignal``) and the stores take their names from. (Migrations keep the names
/// they created: they are history.)
enum SignalColumn: String, CaseIterable, Sendable {
    case id
    case userID = "user_id"
    case symbol
    case module
    case side
    case exchange
    case source
    case orderType = "order_type"
    case action
    case baseRiskPercent = "base_risk_percent"
    case entryPrice = "entry_price"
    case stopLoss = "stop_loss"
    case takeProfit = "take_profit"
    case qty
    case status
    case reasonCodes = "reason_codes"
    case webhookID = "webhook_id"
    case alertID = "alert_id"
    case bodyHash = "body_hash"
    case leaseCount = "lease_count"
    case leasedUntil = "leased_until"
    case createdAt = "created_at"
    case updatedAt = "updated_at"

    var key: FieldKey { .string(rawValue) }
}
