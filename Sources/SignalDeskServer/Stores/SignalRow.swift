import Foundation
import PostgresNIO
import SQLKit

/// A `signals` row as `GET /signals` reads it by plain SQL (``columns``), decoded column by
/// column: a Fluent model per row, and `Codable` through `JSONEncoder`, cost about 200 µs per row,
/// nearly all of a 500-signal list's time. ``SignalReadStore`` returns it; `SignalOut` writes it
/// with ``JSONWriter``. Enum columns stay text here: the list writes what is stored.
struct SignalRow: Sendable {
    static let columns =
        "id, user_id, symbol, module, side, exchange, source, base_risk_percent, entry_price, stop_loss, "
        + "take_profit, status, reason_codes, created_at, updated_at"
    let id: UUID
    let userId: UUID
    let symbol: String
    let module: String
    let side: String
    let exchange: String
    let source: String
    let baseRiskPercent: Double?
    let entryPrice: Double?
    let stopLoss: Double?
    let takeProfit: Double?
    let status: String
    /// The stored JSON list of strings, as written (`[]` for most signals).
    let reasonCodesJSON: String
    let createdAt: Date
    let updatedAt: Date

    init(_ row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        userId = try row.decode(column: "user_id", as: UUID.self)
        symbol = try row.decode(column: "symbol", as: String.self)
        module = try row.decode(column: "module", as: String.self)
        side = try row.decode(column: "side", as: String.self)
        exchange = try row.decode(column: "exchange", as: String.self)
        source = try row.decode(column: "source", as: String.self)
        baseRiskPercent = try row.decode(column: "base_risk_percent", as: Double?.self)
        entryPrice = try row.decode(column: "entry_price", as: Double?.self)
        stopLoss = try row.decode(column: "stop_loss", as: Double?.self)
        takeProfit = try row.decode(column: "take_profit", as: Double?.self)
        status = try row.decode(column: "status", as: String.self)
        reasonCodesJSON = try row.decode(column: "reason_codes", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
        updatedAt = try row.decode(column: "updated_at", as: Date.self)
    }

    /// A PostgreSQL row of ``columns``, decoded cell by cell in order (as `PositionRow`: SQLKit's
    /// `decode(column:as:)` and PostgresNIO's tuple decoding cost more than the rest of the list).
    init(_ row: PostgresRow) throws {
        var cells = PostgresCells(row, table: "signals")
        id = try cells.next(UUID.self)
        userId = try cells.next(UUID.self)
        symbol = try cells.next(String.self)
        module = try cells.next(String.self)
        side = try cells.next(String.self)
        exchange = try cells.next(String.self)
        source = try cells.next(String.self)
        baseRiskPercent = try cells.next(Double?.self)
        entryPrice = try cells.next(Double?.self)
        stopLoss = try cells.next(Double?.self)
        takeProfit = try cells.next(Double?.self)
        status = try cells.next(String.self)
        reasonCodesJSON = try cells.next(String.self)
        createdAt = try cells.next(Date.self)
        updatedAt = try cells.next(Date.self)
    }
}

/// The cells of a PostgreSQL row in order, for rows decoded by position.
struct PostgresCells {
    private var iterator: PostgresRow.Iterator
    private let table: String

    init(_ row: PostgresRow, table: String) {
        iterator = row.makeIterator()
        self.table = table
    }

    mutating func next<Value: PostgresDecodable>(_: Value.Type) throws -> Value {
        guard let cell = iterator.next() else { throw MissingColumn(table: table) }
        return try cell.decode(Value.self)
    }

    struct MissingColumn: Error, CustomStringConvertible {
        let table: String
        var description: String { "a \(table) row has fewer columns than its list's SELECT" }
    }
}
