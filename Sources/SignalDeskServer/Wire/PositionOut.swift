import Foundation
import PostgresNIO
import SQLKit
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

    /// A `positions` row as read by plain SQL (``columns``), for lists: decoded column by column
    /// and written with ``JSONWriter``, because `Codable` through SQLKit and `JSONEncoder` cost
    /// about 140 µs per row, most of a 1,000-position list's time.
    struct Row {
        static let columns =
            "id, user_id, signal_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit, "
            + "status, opened_at, closed_at, exit_price, realized_pnl, fees, close_reason"
        let id: UUID
        let userId: UUID
        let signalId: UUID?
        let symbol: String
        let exchange: String
        let side: String
        let qty: Double
        let entryPrice: Double
        let stopLoss: Double?
        let takeProfit: Double?
        let status: String
        let openedAt: Date
        let closedAt: Date?
        let exitPrice: Double?
        let realizedPnl: Double?
        let fees: Double
        let closeReason: String?

        init(_ row: any SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            userId = try row.decode(column: "user_id", as: UUID.self)
            signalId = try row.decode(column: "signal_id", as: UUID?.self)
            symbol = try row.decode(column: "symbol", as: String.self)
            exchange = try row.decode(column: "exchange", as: String.self)
            side = try row.decode(column: "side", as: String.self)
            qty = try row.decode(column: "qty", as: Double.self)
            entryPrice = try row.decode(column: "entry_price", as: Double.self)
            stopLoss = try row.decode(column: "stop_loss", as: Double?.self)
            takeProfit = try row.decode(column: "take_profit", as: Double?.self)
            status = try row.decode(column: "status", as: String.self)
            openedAt = try row.decode(column: "opened_at", as: Date.self)
            closedAt = try row.decode(column: "closed_at", as: Date?.self)
            exitPrice = try row.decode(column: "exit_price", as: Double?.self)
            realizedPnl = try row.decode(column: "realized_pnl", as: Double?.self)
            fees = try row.decode(column: "fees", as: Double.self)
            closeReason = try row.decode(column: "close_reason", as: String?.self)
        }

        /// A PostgreSQL row of ``columns``, decoded cell by cell in order (PostgresNIO's decode into
        /// a 17-element tuple asks the runtime for generic metadata on every row).
        init(_ row: PostgresRow) throws {
            var cells = row.makeIterator()
            func next() throws -> PostgresCell {
                guard let cell = cells.next() else { throw MissingColumn() }
                return cell
            }
            id = try next().decode(UUID.self)
            userId = try next().decode(UUID.self)
            signalId = try next().decode(UUID?.self)
            symbol = try next().decode(String.self)
            exchange = try next().decode(String.self)
            side = try next().decode(String.self)
            qty = try next().decode(Double.self)
            entryPrice = try next().decode(Double.self)
            stopLoss = try next().decode(Double?.self)
            takeProfit = try next().decode(Double?.self)
            status = try next().decode(String.self)
            openedAt = try next().decode(Date.self)
            closedAt = try next().decode(Date?.self)
            exitPrice = try next().decode(Double?.self)
            realizedPnl = try next().decode(Double?.self)
            fees = try next().decode(Double.self)
            closeReason = try next().decode(String?.self)
        }

        struct MissingColumn: Error, CustomStringConvertible {
            var description: String { "a positions row has fewer columns than PositionOut.Row.columns" }
        }

        /// The row as a `PositionOut` object, keys in sorted order (as ``JSONCoding`` writes them).
        func write(to json: inout JSONWriter) throws {
            json.beginObject()
            json.field("close_reason", closeReason)
            json.field("closed_at", closedAt)
            try json.field("entry_price", entryPrice)
            json.field("exchange", exchange)
            try json.field("exit_price", exitPrice)
            try json.field("fees", fees)
            json.field("id", id)
            json.field("opened_at", openedAt)
            try json.field("qty", qty)
            try json.field("realized_pnl", realizedPnl)
            json.field("side", side)
            json.field("signal_id", signalId)
            json.field("status", status)
            try json.field("stop_loss", stopLoss)
            json.field("symbol", symbol)
            try json.field("take_profit", takeProfit)
            json.field("user_id", userId)
            json.endObject()
        }
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
