import Foundation
import SignalDeskCore
import Vapor

/// `PositionOut` of contract.md.
struct PositionOut: Content {
    let id: UUID
    let userId: UUID
    @NullEncodable var signalId: UUID?
    let symbol: String
    let exchange: String
    let side: TradeSide
    let qty: Double
    let entryPrice: Double
    @NullEncodable var stopLoss: Double?
    @NullEncodable var takeProfit: Double?
    let status: PositionStatus
    let openedAt: Date
    @NullEncodable var closedAt: Date?
    @NullEncodable var exitPrice: Double?
    @NullEncodable var realizedPnl: Double?
    let fees: Double
    @NullEncodable var closeReason: String?

    /// A row of a list (``PositionReadStore``) as a `PositionOut` object, keys in sorted order (as
    /// ``JSONCoding`` writes them), without `Codable`: `JSONWriterTests` checks it against
    /// `JSONEncoder` byte for byte.
    static func write(_ row: PositionRow, to json: inout JSONWriter) throws {
        json.beginObject()
        json.field("close_reason", row.closeReason)
        json.field("closed_at", row.closedAt)
        try json.field("entry_price", row.entryPrice)
        json.field("exchange", row.exchange)
        try json.field("exit_price", row.exitPrice)
        try json.field("fees", row.fees)
        json.field("id", row.id)
        json.field("opened_at", row.openedAt)
        try json.field("qty", row.qty)
        try json.field("realized_pnl", row.realizedPnl)
        json.field("side", row.side)
        json.field("signal_id", row.signalId)
        json.field("status", row.status)
        try json.field("stop_loss", row.stopLoss)
        json.field("symbol", row.symbol)
        try json.field("take_profit", row.takeProfit)
        json.field("user_id", row.userId)
        json.endObject()
    }

    init(_ position: Position) throws {
        id = try position.requireID()
        userId = position.$user.id
        signalId = position.$signal.id
        symbol = position.symbol
        exchange = position.exchange
        side = position.side
        qty = position.qty
        entryPrice = position.entryPrice
        stopLoss = position.stopLoss
        takeProfit = position.takeProfit
        status = position.status
        openedAt = position.openedAt
        closedAt = position.closedAt
        exitPrice = position.exitPrice
        realizedPnl = position.realizedPnL
        fees = position.fees
        closeReason = position.closeReason
    }
}
