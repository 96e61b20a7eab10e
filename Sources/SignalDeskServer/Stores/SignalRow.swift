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
        id = try row.decodeUUID(column: "id")
        userId = try row.decodeUUID(column: "user_id")
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

extension SQLRow {
    /// A UUID column: SQLite keeps them as text, and `UUID`'s `Decodable` reads that text through
    /// `sscanf`, a tenth of a 500-signal list on SQLite; the text is parsed here instead.
    func decodeUUID(column: String) throws -> UUID {
        if let text = try? decode(column: column, as: String.self), let uuid = UUID(hexText: text) { return uuid }
        return try decode(column: column, as: UUID.self)
    }

    func decodeUUID(column: String) throws -> UUID? {
        if try decodeNil(column: column) { return nil }
        return try decodeUUID(column: column) as UUID
    }
}

extension UUID {
    /// `8-4-4-4-12` hexadecimal digits in either case, as `UUID(uuidString:)` reads them.
    init?(hexText text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var high: UInt8?
        var index = 0
        for byte in text.utf8 {
            defer { index += 1 }
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard index == 36, bytes.count == 16 else { return nil }
        self = bytes.withUnsafeBytes { raw in UUID(uuid: raw.loadUnaligned(as: uuid_t.self)) }
    }
}
