import Foundation
import SignalDeskCore
import Vapor

/// `SignalOut` of contract.md.
struct SignalOut: Content {
    let id: UUID
    let userId: UUID
    let symbol: String
    let module: String
    let side: TradeSide
    let exchange: String
    let source: SignalSource
    @NullEncodable var baseRiskPercent: Double?
    @NullEncodable var entryPrice: Double?
    @NullEncodable var stopLoss: Double?
    @NullEncodable var takeProfit: Double?
    let status: SignalStatus
    let reasonCodes: [String]
    let createdAt: Date
    let updatedAt: Date

    /// The one place that lists the fields; the other initialisers go through it.
    init(
        id: UUID, userId: UUID, symbol: String, module: String, side: TradeSide, exchange: String, source: SignalSource,
        baseRiskPercent: Double?, entryPrice: Double?, stopLoss: Double?, takeProfit: Double?, status: SignalStatus,
        reasonCodes: [String], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.userId = userId
        self.symbol = symbol
        self.module = module
        self.side = side
        self.exchange = exchange
        self.source = source
        self.baseRiskPercent = baseRiskPercent
        self.entryPrice = entryPrice
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.status = status
        self.reasonCodes = reasonCodes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(_ signal: Signal) throws {
        self.init(
            id: try signal.requireID(), userId: signal.$user.id, symbol: signal.symbol, module: signal.module,
            side: signal.side, exchange: signal.exchange, source: signal.source,
            baseRiskPercent: signal.baseRiskPercent, entryPrice: signal.entryPrice, stopLoss: signal.stopLoss,
            takeProfit: signal.takeProfit, status: signal.status, reasonCodes: signal.reasonCodes,
            createdAt: signal.createdAt, updatedAt: signal.updatedAt)
    }

    /// A signal just created: `CREATED`, no reason codes, `updated_at` = `created_at`.
    init(_ signal: NewSignal) {
        self.init(
            id: signal.id, userId: signal.userID, symbol: signal.symbol, module: signal.module, side: signal.side,
            exchange: signal.exchange.rawValue, source: signal.source, baseRiskPercent: signal.baseRiskPercent,
            entryPrice: signal.entryPrice, stopLoss: signal.stopLoss, takeProfit: signal.takeProfit,
            status: NewSignal.status, reasonCodes: [], createdAt: signal.createdAt, updatedAt: signal.createdAt)
    }
}
