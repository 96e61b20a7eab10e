import Fluent
import Foundation
import SignalDeskCore

final class Signal: Model, @unchecked Sendable {
    static let schema = "signals"

    // Column names from ``SignalColumn``, the one list of the table's columns.
    @ID(key: .id) var id: UUID?
    @Parent(key: SignalColumn.userID.key) var user: User
    @Field(key: SignalColumn.symbol.key) var symbol: String
    @Field(key: SignalColumn.module.key) var module: String
    @Enum(key: SignalColumn.side.key) var side: TradeSide
    /// Stored as text and checked where it is used (``Exchange``, `exchange_unknown`): a row
    /// written by a newer build that knows one more exchange (a rolling deploy) must still read.
    @Field(key: SignalColumn.exchange.key) var exchange: String
    @Enum(key: SignalColumn.source.key) var source: SignalSource
    @Enum(key: SignalColumn.orderType.key) var orderType: SignalOrderType
    /// Close/exit alerts close the user's open position in the symbol.
    @Enum(key: SignalColumn.action.key) var action: SignalAction
    @OptionalField(key: SignalColumn.baseRiskPercent.key) var baseRiskPercent: Double?
    @OptionalField(key: SignalColumn.entryPrice.key) var entryPrice: Double?
    @OptionalField(key: SignalColumn.stopLoss.key) var stopLoss: Double?
    @OptionalField(key: SignalColumn.takeProfit.key) var takeProfit: Double?
    @OptionalField(key: SignalColumn.qty.key) var qty: Double?
    @Enum(key: SignalColumn.status.key) var status: SignalStatus
    /// A JSON list of strings.
    @Field(key: SignalColumn.reasonCodes.key) var reasonCodesJSON: String
    @OptionalField(key: SignalColumn.webhookID.key) var webhookID: UUID?
    @OptionalField(key: SignalColumn.alertID.key) var alertID: String?
    @OptionalField(key: SignalColumn.bodyHash.key) var bodyHash: String?
    @Field(key: SignalColumn.leaseCount.key) var leaseCount: Int
    @OptionalField(key: SignalColumn.leasedUntil.key) var leasedUntil: Date?
    @Field(key: SignalColumn.createdAt.key) var createdAt: Date
    @Field(key: SignalColumn.updatedAt.key) var updatedAt: Date

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
    /// ``RequestFingerprint`` of the first request (nil on rows written before it was kept).
    @OptionalField(key: "request_hash") var requestHash: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
