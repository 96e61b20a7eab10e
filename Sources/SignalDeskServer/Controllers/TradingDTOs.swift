import Foundation
import SignalDeskCore
import Vapor

/// `SignalOut` of API.md.
struct SignalOut: Content {
    let id: UUID
    let userId: UUID
    let symbol: String
    let module: String
    let side: TradeSide
    let exchange: String
    let source: String
    @NullEncodable var baseRiskPercent: Double?
    @NullEncodable var entryPrice: Double?
    @NullEncodable var stopLoss: Double?
    @NullEncodable var takeProfit: Double?
    let status: SignalStatus
    let reasonCodes: [String]
    let createdAt: Date
    let updatedAt: Date

    init(_ signal: Signal) throws {
        id = try signal.requireID()
        userId = signal.$user.id
        symbol = signal.symbol
        module = signal.module
        side = signal.side
        exchange = signal.exchange
        source = signal.source
        baseRiskPercent = signal.baseRiskPercent
        entryPrice = signal.entryPrice
        stopLoss = signal.stopLoss
        takeProfit = signal.takeProfit
        status = signal.status
        reasonCodes = signal.reasonCodes
        createdAt = signal.createdAt
        updatedAt = signal.updatedAt
    }
}

/// `PositionOut` of API.md.
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

    /// A `positions` row as read by plain SQL (``columns``), for lists.
    struct Row: Decodable {
        static let columns = "id, user_id, signal_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit, "
            + "status, opened_at, closed_at, exit_price, realized_pnl, fees, close_reason"
        let id: UUID
        let userId: UUID
        let signalId: UUID?
        let symbol: String
        let exchange: String
        let side: TradeSide
        let qty: Double
        let entryPrice: Double
        let stopLoss: Double?
        let takeProfit: Double?
        let status: PositionStatus
        let openedAt: Date
        let closedAt: Date?
        let exitPrice: Double?
        let realizedPnl: Double?
        let fees: Double
        let closeReason: String?
    }

    init(_ row: Row) {
        id = row.id
        userId = row.userId
        signalId = row.signalId
        symbol = row.symbol
        exchange = row.exchange
        side = row.side
        qty = row.qty
        entryPrice = row.entryPrice
        stopLoss = row.stopLoss
        takeProfit = row.takeProfit
        status = row.status
        openedAt = row.openedAt
        closedAt = row.closedAt
        exitPrice = row.exitPrice
        realizedPnl = row.realizedPnl
        fees = row.fees
        closeReason = row.closeReason
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

/// Query-string numbers: present, finite and in range, else a 422 naming the parameter.
enum QueryValue {
    static func double(_ req: Request, _ name: String, default fallback: Double? = nil, allowZero: Bool = false) throws -> Double {
        let raw = req.query[String.self, at: name]
        guard let raw else {
            if let fallback { return fallback }
            throw APIError(.unprocessableEntity, items: [.init(loc: ["query", name], msg: "Field required", type: "missing")])
        }
        guard let value = Double(raw), value.isFinite, allowZero ? value >= 0 : value > 0 else {
            throw APIError(.unprocessableEntity, items: [.init(
                loc: ["query", name], msg: "\(name) must be a \(allowZero ? "non-negative" : "positive") finite number",
                type: "value_error")])
        }
        return value
    }

    static func int(_ req: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = req.query[String.self, at: name] else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError(.unprocessableEntity, items: [.init(
                loc: ["query", name], msg: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)",
                type: "value_error")])
        }
        return value
    }

    static func uuid(_ req: Request, _ name: String) throws -> UUID {
        guard let raw = req.query[String.self, at: name] else {
            throw APIError(.unprocessableEntity, items: [.init(loc: ["query", name], msg: "Field required", type: "missing")])
        }
        guard let value = UUID(uuidString: raw) else {
            throw APIError(.unprocessableEntity, items: [.init(loc: ["query", name], msg: "\(name) must be a UUID", type: "uuid_parsing")])
        }
        return value
    }

    static func bool(_ req: Request, _ name: String, default fallback: Bool) throws -> Bool {
        guard let raw = req.query[String.self, at: name] else { return fallback }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default:
            throw APIError(.unprocessableEntity, items: [.init(loc: ["query", name], msg: "\(name) must be true or false", type: "bool_parsing")])
        }
    }
}
