import Foundation
import PostgresNIO
import SQLKit
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

    init(_ signal: NewSignal) {
        id = signal.id
        userId = signal.userID
        symbol = signal.symbol
        module = signal.module
        side = signal.side
        exchange = signal.exchange
        source = signal.source
        baseRiskPercent = signal.baseRiskPercent
        entryPrice = signal.entryPrice
        stopLoss = signal.stopLoss
        takeProfit = signal.takeProfit
        status = NewSignal.status
        reasonCodes = []
        createdAt = signal.createdAt
        updatedAt = signal.createdAt
    }
}
