import Fluent
import SignalDeskCore
import Vapor

/// `/ops/strategy/*`: admins assign a strategy per user and exchange, or disable the exchange.
struct StrategyController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let strategy = routes.adminOnly.grouped("ops", "strategy")
        strategy.post("assign", use: Self.assign)
        strategy.get("assignments", use: Self.list)
    }

    struct AssignBody: Content {
        let userEmail: String
        let exchange: String
        let strategyId: String
        let enabled: Bool
    }

    struct AssignmentOut: Content {
        let userId: UUID
        let userEmail: String
        let exchange: Exchange
        let strategyId: StrategyID
        let enabled: Bool
    }

    @Sendable static func assign(req: Request) async throws -> AssignmentOut {
        let caller = try req.caller
        let body = try req.content.decode(AssignBody.self)
        var problems: [APIError.ValidationItem] = []
        let exchange = Exchange(parsing: body.exchange)
        if exchange == nil {
            problems.append(
                .init(loc: ["body", "exchange"], msg: "exchange must be BINANCE, IBKR, BYBIT or DYDX", type: "enum"))
        }
        let strategy = StrategyID(rawValue: body.strategyId.uppercased())
        if strategy == nil {
            problems.append(
                .init(loc: ["body", "strategy_id"], msg: "strategy_id must be SWING_V1 or INTRADAY_V1", type: "enum"))
        }
        guard problems.isEmpty, let exchange, let strategy else {
            throw APIError(.unprocessableEntity, items: problems)
        }
        let email = EmailAddress.normalized(body.userEmail)
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first(), let userID = user.id else {
            throw APIError(.notFound, "User not found")
        }
        try await req.application.stores.transactions.run(on: req.db) { tx in
            let row =
                try await StrategyAssignment.query(on: tx).filter(\.$user.$id == userID).filter(\.$exchange == exchange)
                .first()
                ?? StrategyAssignment(
                    userID: userID, exchange: exchange, strategyID: strategy.rawValue, enabled: body.enabled)
            row.strategyID = strategy.rawValue
            row.enabled = body.enabled
            try await row.save(on: tx)
            try await AuditLog.record(
                AuditAction.strategyAssignmentUpdated, userID: caller.id, entityType: "strategy_assignment",
                entityID: row.id?.uuidString,
                details: [
                    "user_email": .string(email), "exchange": .string(exchange.rawValue),
                    "strategy_id": .string(strategy.rawValue),
                    "enabled": .bool(body.enabled),
                ], on: tx)
        }
        return AssignmentOut(
            userId: userID, userEmail: email, exchange: exchange, strategyId: strategy, enabled: body.enabled)
    }

    @Sendable static func list(req: Request) async throws -> [AssignmentOut] {
        let rows = try await StrategyAssignment.query(on: req.db).with(\.$user).all()
        return rows.compactMap { row in
            guard let strategy = StrategyID(rawValue: row.strategyID) else { return nil }
            return AssignmentOut(
                userId: row.$user.id, userEmail: row.user.email, exchange: row.exchange, strategyId: strategy,
                enabled: row.enabled)
        }
        .sorted { ($0.userEmail, $0.exchange.rawValue) < ($1.userEmail, $1.exchange.rawValue) }
    }
}
