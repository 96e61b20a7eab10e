import Fluent
import Foundation
import SQLKit
import SignalDeskCore

final class Signal: Model, @unchecked Sendable {
    static let schema = "signals"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "symbol") var symbol: String
    @Field(key: "module") var module: String
    @Enum(key: "side") var side: TradeSide
    @Field(key: "exchange") var exchange: String
    /// `api`, `tradingview` or `hmac`.
    @Field(key: "source") var source: String
    @Field(key: "order_type") var orderType: String
    /// `open` or `close` (close/exit alerts close the user's open position in the symbol).
    @Field(key: "action") var action: String
    @OptionalField(key: "base_risk_percent") var baseRiskPercent: Double?
    @OptionalField(key: "entry_price") var entryPrice: Double?
    @OptionalField(key: "stop_loss") var stopLoss: Double?
    @OptionalField(key: "take_profit") var takeProfit: Double?
    @OptionalField(key: "qty") var qty: Double?
    @Enum(key: "status") var status: SignalStatus
    /// A JSON list of strings.
    @Field(key: "reason_codes") var reasonCodesJSON: String
    @OptionalField(key: "webhook_id") var webhookID: UUID?
    @OptionalField(key: "alert_id") var alertID: String?
    @OptionalField(key: "body_hash") var bodyHash: String?
    @Field(key: "lease_count") var leaseCount: Int
    @OptionalField(key: "leased_until") var leasedUntil: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var reasonCodes: [String] {
        get { (try? JSONDecoder().decode([String].self, from: Data(reasonCodesJSON.utf8))) ?? [] }
        set { reasonCodesJSON = ReasonCodes.encode(newValue) }
    }
}

enum ReasonCodes {
    static func encode(_ codes: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(codes)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

enum PositionStatus: String, Codable, Sendable {
    case open = "OPEN"
    case closed = "CLOSED"
}

final class Position: Model, @unchecked Sendable {
    static let schema = "positions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "signal_id") var signal: Signal?
    @Field(key: "symbol") var symbol: String
    @Field(key: "exchange") var exchange: String
    @Enum(key: "side") var side: TradeSide
    @Field(key: "qty") var qty: Double
    @Field(key: "entry_price") var entryPrice: Double
    @OptionalField(key: "stop_loss") var stopLoss: Double?
    @OptionalField(key: "take_profit") var takeProfit: Double?
    @Enum(key: "status") var status: PositionStatus
    @Field(key: "opened_at") var openedAt: Date
    @Field(key: "opened_day") var openedDay: String
    @OptionalField(key: "closed_at") var closedAt: Date?
    @OptionalField(key: "closed_day") var closedDay: String?
    @OptionalField(key: "exit_price") var exitPrice: Double?
    @OptionalField(key: "realized_pnl") var realizedPnL: Double?
    @Field(key: "fees") var fees: Double
    @OptionalField(key: "close_reason") var closeReason: String?

    init() {}
}

final class DailyRiskState: Model, @unchecked Sendable {
    static let schema = "daily_risk_state"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "day") var day: String
    @Field(key: "trades_count") var tradesCount: Int
    @Field(key: "realized_pnl") var realizedPnL: Double
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

final class IdempotencyRecord: Model, @unchecked Sendable {
    static let schema = "idempotency_keys"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "scope") var scope: String
    @Field(key: "key") var key: String
    @Field(key: "status_code") var statusCode: Int
    @Field(key: "response_body") var responseBody: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A signal being created, as a plain Sendable value: what the two paths that create a signal per
/// request (webhook alerts, `POST /signals`) build and store, without a Fluent model (creating one
/// allocates a property wrapper per field and reflects over them). A new signal is always
/// `CREATED`, with no reason codes, no lease, and `updated_at` = `created_at`.
struct NewSignal: Sendable {
    var id = UUID()
    var userID: UUID
    var symbol: String
    var module: String
    var side: TradeSide
    var exchange: String
    var source: String
    var orderType = "market"
    var action = "open"
    var baseRiskPercent: Double? = nil
    var entryPrice: Double? = nil
    var stopLoss: Double? = nil
    var takeProfit: Double? = nil
    var qty: Double? = nil
    var webhookID: UUID? = nil
    var alertID: String? = nil
    var bodyHash: String? = nil
    var createdAt: Date

    static let status = SignalStatus.created
    static let reasonCodesJSON = "[]"

    /// Inserts the signal and its `action` audit row on `db`, which the caller makes a transaction
    /// (the two statements of the paths that do not use ``WebhookStatements``'s single one).
    func insert(auditedAs action: AuditAction, details: [String: AuditValue], on db: any Database) async throws {
        try await insert(on: db)
        try await AuditLog.record(
            action, userID: userID, entityType: "signal", entityID: id.uuidString, details: details, on: db,
            at: createdAt)
    }

    /// Inserts the signal with SQLKit (one statement).
    func insert(on db: any Database) async throws {
        try await (db as! any SQLDatabase).insert(into: Signal.schema)
            .columns(
                "id", "user_id", "symbol", "module", "side", "exchange", "source", "order_type", "action",
                "base_risk_percent", "entry_price", "stop_loss", "take_profit", "qty", "status", "reason_codes",
                "webhook_id", "alert_id", "body_hash", "lease_count", "created_at", "updated_at"
            )
            .values(
                SQLBind(id), SQLBind(userID), SQLBind(symbol), SQLBind(module), SQLBind(side.rawValue),
                SQLBind(exchange),
                SQLBind(source), SQLBind(orderType), SQLBind(action), SQLBind(baseRiskPercent), SQLBind(entryPrice),
                SQLBind(stopLoss), SQLBind(takeProfit), SQLBind(qty), SQLBind(Self.status.rawValue),
                SQLBind(Self.reasonCodesJSON), SQLBind(webhookID), SQLBind(alertID), SQLBind(bodyHash), SQLBind(0),
                SQLBind(createdAt), SQLBind(createdAt)
            )
            .run()
    }
}
