import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// `/ops/execution/*`: pretrade and exit checks, dry-run preparation and signed test orders, for
/// the caller's own account. Every outcome is audited.
struct ExecutionController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let execution = routes.grouped(BearerAuthMiddleware(), RoleGuard(.admin, .trader)).grouped("ops", "execution")
        execution.post("pretrade", ":exchange", "check", use: Self.pretrade)
        execution.post("exit", ":exchange", "check", use: Self.exit)
        execution.post("prepare", use: Self.prepare)
        execution.post(":exchange", "test-order", use: Self.testOrder)
    }

    static func exchange(_ req: Request) throws -> Exchange {
        guard let exchange = req.parameters.get("exchange").flatMap(Exchange.init(parsing:)) else {
            throw APIError(.notFound, "Not Found")
        }
        return exchange
    }

    /// 403 for an exchange the user's assignment disables, audited.
    static func requireEnabled(
        _ exchange: Exchange, strategy: EffectiveStrategy, caller: AuthenticatedUser, on db: any Database
    ) async throws {
        guard strategy.enabled else {
            try await AuditLog.record(
                AuditAction.executionBlockedExchangeDisabled, userID: caller.id, entityType: "exchange",
                entityID: exchange.rawValue,
                details: ["exchange": .string(exchange.rawValue)], on: db)
            throw APIError(.forbidden, "Exchange \(exchange.rawValue) is disabled for this user")
        }
    }

    static func side(_ text: String) throws -> TradeSide {
        guard let side = TradeSide(parsing: text) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["body", "side"], msg: "side must be BUY or SELL (or LONG/SHORT)", type: "enum")])
        }
        return side
    }

    static func positive(_ value: Double, _ field: String) throws {
        guard value.isFinite, value > 0 else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(loc: ["body", field], msg: "\(field) must be a positive finite number", type: "value_error")
                ])
        }
    }

    static func symbol(_ text: String) throws -> String {
        let symbol = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard (1...40).contains(symbol.count) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["body", "symbol"], msg: "symbol must be 1 to 40 characters", type: "value_error")])
        }
        return symbol
    }

    // MARK: pretrade

    struct PretradeBody: Content {
        let symbol: String
        let side: String
        let qty: Double
        let rrEstimate: Double?
        let trendTf: String?
        let signalTf: String?
        let timingTf: String?
        let spreadBps: Double?
        let slippageBps: Double?
        let volume24hUsdt: Double?
        let inRth: Bool?
        let macroEventBlock: Bool?
        let earningsWithin24h: Bool?
    }

    struct PretradeAnswer: Content {
        let passed: Bool
        let exchange: Exchange
        let strategyId: StrategyID
        let strategySource: String
        let riskProfile: String
        let checks: [RuleCheck]
    }

    /// What an idempotency key remembers of a pretrade check: its validated fields.
    struct PretradeFingerprint: Encodable {
        let exchange: String
        let symbol: String
        let side: String
        let qty: Double
        let proposal: PretradeCheck.Proposal
    }

    @Sendable static func pretrade(req: Request) async throws -> Response {
        let caller = try req.caller
        let exchange = try exchange(req)
        let body = try req.content.decode(PretradeBody.self)
        let symbol = try symbol(body.symbol)
        let side = try side(body.side)
        try positive(body.qty, "qty")
        guard InputCaps.acceptsQty(body.qty) else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["body", "qty"], msg: "qty must be at most \(Int(InputCaps.maxQty))", type: "value_error")
                ])
        }
        let key = try IdempotencyKeyHeader.read(req.headers)
        try await TradingControl.requireTradingEnabled(req, caller: caller, action: "pretrade", exchange: exchange)
        let defaults = PretradeCheck.Proposal()
        let proposal = PretradeCheck.Proposal(
            rewardRisk: body.rrEstimate ?? defaults.rewardRisk, trendTimeframe: body.trendTf ?? defaults.trendTimeframe,
            signalTimeframe: body.signalTf ?? defaults.signalTimeframe,
            timingTimeframe: body.timingTf ?? defaults.timingTimeframe,
            spreadBps: body.spreadBps ?? defaults.spreadBps, slippageBps: body.slippageBps ?? defaults.slippageBps,
            volume24hUSDT: body.volume24hUsdt ?? defaults.volume24hUSDT, inRegularTradingHours: body.inRth ?? true,
            macroEventBlock: body.macroEventBlock ?? false, earningsWithin24h: body.earningsWithin24h ?? false)
        let keys = IdempotencyKeys(db: req.db)
        let scope = "pretrade.check.\(exchange.rawValue.lowercased())"
        let fingerprint = try RequestFingerprint.of(
            PretradeFingerprint(
                exchange: exchange.rawValue, symbol: symbol, side: side.orderWord, qty: body.qty, proposal: proposal))
        if let key,
            let earlier = try await IdempotencyAnswers.refusing({
                try await keys.stored(userID: caller.id, scope: scope, key: key, fingerprint: fingerprint)
            })
        {
            return IdempotencyAnswers.replay(earlier)
        }
        guard let user = try await User.find(caller.id, on: req.db) else { throw BearerAuthMiddleware.invalid }
        let account = try await PretradeAccount.load(user: user, exchange: exchange, app: req.application, on: req.db)
        let checks = account.evaluate(proposal)
        let failed = checks.filter { !$0.passed }.map(\.name)
        try await AuditLog.record(
            failed.isEmpty ? AuditAction.pretradeCheckPassed : AuditAction.pretradeCheckBlocked, userID: caller.id,
            entityType: "exchange",
            entityID: exchange.rawValue,
            details: [
                "exchange": .string(exchange.rawValue), "symbol": .string(symbol),
                "strategy_id": .string(account.strategy.strategy.rawValue),
                "failed_checks": .string(failed.joined(separator: ",")),
            ], on: req.db)
        let answer = PretradeAnswer(
            passed: failed.isEmpty, exchange: exchange, strategyId: account.strategy.strategy,
            strategySource: account.strategy.source, riskProfile: account.limits.profile.rawValue, checks: checks)
        let text = String(decoding: try JSONCoding.encode(answer), as: UTF8.self)
        if let key {
            try await IdempotencyAnswers.refusing {
                try await keys.remember(
                    userID: caller.id, scope: scope, key: key, fingerprint: fingerprint, statusCode: 200, body: text,
                    now: account.now)
            }
        }
        return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: text))
    }

    // MARK: exit

    struct ExitBody: Content {
        let symbol: String
        let side: String
        let entryPrice: Double
        let currentPrice: Double
        let stopLoss: Double?
        let takeProfit: Double?
        let openedMinutes: Double?
        let trendBreak: Bool?
        let signalReverse: Bool?
        let macroEventBlock: Bool?
        let earningsWithin24h: Bool?
    }

    struct ExitAnswer: Content {
        let shouldExit: Bool
        let exchange: Exchange
        let strategyId: StrategyID
        let strategySource: String
        let reasons: [String]
        let checks: [RuleCheck]
    }

    @Sendable static func exit(req: Request) async throws -> ExitAnswer {
        let caller = try req.caller
        let exchange = try exchange(req)
        let body = try req.content.decode(ExitBody.self)
        let symbol = try symbol(body.symbol)
        let side = try side(body.side)
        try positive(body.entryPrice, "entry_price")
        try positive(body.currentPrice, "current_price")
        if let stop = body.stopLoss { try positive(stop, "stop_loss") }
        if let take = body.takeProfit { try positive(take, "take_profit") }
        let minutes = body.openedMinutes ?? 0
        guard InputCaps.acceptsOpenedMinutes(minutes) else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["body", "opened_minutes"],
                        msg: "opened_minutes must be from 0 to \(Int(InputCaps.maxOpenedMinutes)) (7 days)",
                        type: "value_error")
                ])
        }
        let strategy = try await EffectiveStrategy.load(userID: caller.id, exchange: exchange, on: req.db)
        try await requireEnabled(exchange, strategy: strategy, caller: caller, on: req.db)
        let outcome = ExitCheck.evaluate(
            .init(
                side: side, entryPrice: body.entryPrice, currentPrice: body.currentPrice, stopLoss: body.stopLoss,
                takeProfit: body.takeProfit,
                openedMinutes: minutes, trendBreak: body.trendBreak ?? false,
                signalReverse: body.signalReverse ?? false,
                macroEventBlock: body.macroEventBlock ?? false, earningsWithin24h: body.earningsWithin24h ?? false),
            rules: strategy.strategy.rules(on: exchange), exchange: exchange)
        try await AuditLog.record(
            outcome.shouldExit ? AuditAction.exitCheckTriggered : AuditAction.exitCheckHold, userID: caller.id,
            entityType: "exchange",
            entityID: exchange.rawValue,
            details: [
                "exchange": .string(exchange.rawValue), "symbol": .string(symbol),
                "reasons": .string(outcome.reasons.joined(separator: ",")),
            ],
            on: req.db)
        return ExitAnswer(
            shouldExit: outcome.shouldExit, exchange: exchange, strategyId: strategy.strategy,
            strategySource: strategy.source,
            reasons: outcome.reasons, checks: outcome.checks)
    }
}
