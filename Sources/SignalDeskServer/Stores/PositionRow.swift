import Foundation
import PostgresNIO
import SQLKit

/// A `positions` row as the lists read it by plain SQL (``columns``), decoded column by column:
/// Fluent models, and `Codable` through SQLKit and `JSONEncoder`, cost about 140 µs per row, most
/// of a 1,000-position list's time. ``PositionReadStore`` returns it; `PositionOut` writes it with
/// ``JSONWriter``.
struct PositionRow: Sendable {
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
        var description: String { "a positions row has fewer columns than PositionRow.columns" }
    }
}
