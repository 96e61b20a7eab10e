import Fluent
import SignalDeskCore
import Vapor

/// `/signals`: the client-driven lifecycle of API signals (create, list, claim).
struct SignalsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let signals = routes.authenticated.grouped("signals")
        signals.post(use: Self.create)
        signals.get(use: Self.list)
        signals.post("claim", use: Self.claim)
    }

    struct CreateBody: Content {
        let symbol: String
        let module: String
        let baseRiskPercent: Double
        let entryPrice: Double
        let stopLoss: Double
        let takeProfit: Double
        let side: String?
        let exchange: String?
    }

    @Sendable static func create(req: Request) async throws -> SignalOut {
        let caller = try req.caller
        let body = try req.content.decode(CreateBody.self)
        var problems: [APIError.ValidationItem] = []
        func problem(_ field: String, _ message: String) {
            problems.append(.init(loc: ["body", field], msg: message, type: "value_error"))
        }
        let symbol = body.symbol.trimmingCharacters(in: .whitespaces).uppercased()
        if symbol.isEmpty || symbol.count > 40 { problem("symbol", "symbol must be 1 to 40 characters") }
        let module = body.module.trimmingCharacters(in: .whitespaces)
        if module.isEmpty || module.count > 64 { problem("module", "module must be 1 to 64 characters") }
        for (field, text) in [("symbol", symbol), ("module", module)]
        where text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            problem(field, "\(field) must not contain control characters")
        }
        if !(body.baseRiskPercent.isFinite && body.baseRiskPercent > 0 && body.baseRiskPercent <= 100) {
            problem("base_risk_percent", "base_risk_percent must be greater than 0 and at most 100")
        }
        var side: TradeSide?
        if let given = body.side {
            side = TradeSide(parsing: given)
            if side == nil { problem("side", "side must be LONG or SHORT (or BUY/SELL)") }
        }
        let exchange = body.exchange.map { Exchange(parsing: $0) } ?? .binance
        if exchange == nil { problem("exchange", "exchange must be BINANCE, IBKR or BYBIT") }
        var levels: SignalLevels?
        switch SignalLevels.validate(entry: body.entryPrice, stop: body.stopLoss, take: body.takeProfit, side: side) {
        case .success(let valid): levels = valid
        case .failure(let failure): problem(failure.field, failure.message)
        }
        guard problems.isEmpty, let levels, let exchange else { throw APIError(.unprocessableEntity, items: problems) }

        let signal = NewSignal(
            userID: caller.id, symbol: symbol, module: module, side: levels.side, exchange: exchange, source: .api,
            baseRiskPercent: body.baseRiskPercent, entryPrice: levels.entry, stopLoss: levels.stop,
            takeProfit: levels.take,
            createdAt: req.application.wallClock.now())
        let details: [String: AuditValue] = [
            "symbol": .string(symbol), "module": .string(module), "side": .string(levels.side.rawValue),
            "exchange": .string(exchange.rawValue), "source": .string(SignalSource.api.rawValue),
        ]
        do {
            try await req.application.stores.signalWrites.create(signal, auditDetails: details, on: req.db)
        } catch is SignalNotStored {
            throw Abort(.internalServerError, reason: "the new signal was not stored")
        }
        return SignalOut(signal)
    }

    @Sendable static func list(req: Request) async throws -> [SignalOut] {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 100, range: 1...500)
        var query = Signal.query(on: req.db).filter(\.$user.$id == caller.id)
        if let raw = req.query[String.self, at: "status"] {
            guard let status = SignalStatus(rawValue: raw.uppercased()) else {
                throw APIError(
                    .unprocessableEntity,
                    items: [
                        .init(
                            loc: ["query", "status"],
                            msg:
                                "status must be one of: \(SignalStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                            type: "enum")
                    ])
            }
            query = query.filter(\.$status == status)
        }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending).limit(limit).all().map(
            SignalOut.init)
    }

    @Sendable static func claim(req: Request) async throws -> [SignalOut] {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 10, range: 1...100)
        let store = SignalClaims(app: req.application, db: req.db)
        _ = try await store.expireLeases()
        // While trading is halted, claims hand out nothing.
        let halted = try await req.application.killSwitch.state(on: req.db).enabled
        let claimed = halted ? [] : try await store.claim(.client(userID: caller.id), limit: limit)
        try await AuditLog.record(
            AuditAction.signalClaim, userID: caller.id, entityType: "signal", entityID: nil,
            details: ["claimed_count": .int(claimed.count), "limit": .int(limit)], on: req.db)
        return try claimed.map(SignalOut.init)
    }
}
