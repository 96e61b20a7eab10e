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

    /// The market-regime inputs of a pretrade or exit body (issue 25 group 12): finite numbers, the
    /// ATR percent not negative; 422 naming each wrong one.
    static func regimeInputs(trend: Double?, atr: Double?, momentum: Double?) throws -> (Double, Double, Double) {
        var problems: [APIError.ValidationItem] = []
        for (field, value) in [("market_trend_score", trend), ("atr_pct", atr), ("momentum_score", momentum)] {
            guard let value else { continue }
            if !value.isFinite || (field == "atr_pct" && value < 0) {
                problems.append(
                    .init(
                        loc: ["body", field],
                        msg: field == "atr_pct"
                            ? "atr_pct must be a finite number ≥ 0" : "\(field) must be a finite number",
                        type: "value_error"))
            }
        }
        guard problems.isEmpty else { throw APIError(.unprocessableEntity, items: problems) }
        return (trend ?? 0, atr ?? 0, momentum ?? 0)
    }

    /// 409 `Risk block: symbol exposure exceeded (x>y)` when `MAX_OPEN_QTY_PER_SYMBOL` is on and
    /// `qty` more of `symbol` would pass it (crypto-saas's exposure guard), audited
    /// `execution.blocked.exposure.symbol_qty`.
    static func requireSymbolExposure(
        _ req: Request, caller: AuthenticatedUser, exchange: Exchange, symbol: String, qty: Double
    ) async throws {
        let limit = req.application.appConfig.symbolExposure
        guard limit.isOn else { return }
        let held = try await RiskStateStore.openQtyBySymbol(userID: caller.id, on: req.db)[symbol.uppercased()] ?? 0
        guard case .symbolExposure(let projected, let max)? = limit.block(openQty: held, adding: qty) else { return }
        try await AuditLog.record(
            AuditAction.executionBlockedExposureSymbolQty, userID: caller.id, entityType: "risk",
            entityID: symbol.uppercased(),
            details: [
                "exchange": .string(exchange.rawValue), "symbol": .string(symbol.uppercased()),
                "projected_qty": .double(projected), "max_qty_per_symbol": .double(max),
            ], on: req.db)
        throw APIError(.conflict, OpenBlock.symbolExposure(projected: projected, max: max).message)
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

    /// The body of a pretrade check (``PretradeRequest``, shared with the scan and auto-pick).
    typealias PretradeBody = PretradeRequest

    struct PretradeAnswer: Content {
        let passed: Bool
        let exchange: Exchange
        let strategyId: StrategyID
        let strategySource: String
        let riskProfile: String
        let marketRegime: MarketRegime
        let regimeSource: MarketRegime.Source
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
        let request = try body.checked()
        let (symbol, side, proposal) = (request.symbol, request.side, request.proposal)
        let key = try IdempotencyKeyHeader.read(req.headers)
        try await TradingControl.requireTradingEnabled(req, caller: caller, action: "pretrade", exchange: exchange)
        try await requireSymbolExposure(req, caller: caller, exchange: exchange, symbol: symbol, qty: request.qty)
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
                "market_regime": .string(proposal.regime.regime.rawValue),
            ], on: req.db)
        let answer = PretradeAnswer(
            passed: failed.isEmpty, exchange: exchange, strategyId: account.strategy.strategy,
            strategySource: account.strategy.source, riskProfile: account.limits.profileName,
            marketRegime: proposal.regime.regime, regimeSource: proposal.regime.source, checks: checks)
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
        let marketTrendScore: Double?
        let atrPct: Double?
        let momentumScore: Double?
    }

    struct ExitAnswer: Content {
        let shouldExit: Bool
        let exchange: Exchange
        let strategyId: StrategyID
        let strategySource: String
        let marketRegime: MarketRegime
        let regimeSource: MarketRegime.Source
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
        let (trend, atr, momentum) = try regimeInputs(
            trend: body.marketTrendScore, atr: body.atrPct, momentum: body.momentumScore)
        let regime = MarketRegime.infer(trend: trend, atr: atr, momentum: momentum)
        let strategy = try await EffectiveStrategy.load(userID: caller.id, exchange: exchange, on: req.db)
        try await requireEnabled(exchange, strategy: strategy, caller: caller, on: req.db)
        let policy = try await req.application.tradingSettings.current(on: req.db).policies.policy(
            strategy.strategy, on: exchange)
        let outcome = ExitCheck.evaluate(
            .init(
                side: side, entryPrice: body.entryPrice, currentPrice: body.currentPrice, stopLoss: body.stopLoss,
                takeProfit: body.takeProfit,
                openedMinutes: minutes, trendBreak: body.trendBreak ?? false,
                signalReverse: body.signalReverse ?? false,
                macroEventBlock: body.macroEventBlock ?? false, earningsWithin24h: body.earningsWithin24h ?? false),
            rules: policy.rules(strategy.strategy.rules(on: exchange), in: regime.regime, exchange: exchange),
            exchange: exchange)
        try await AuditLog.record(
            outcome.shouldExit ? AuditAction.exitCheckTriggered : AuditAction.exitCheckHold, userID: caller.id,
            entityType: "exchange",
            entityID: exchange.rawValue,
            details: [
                "exchange": .string(exchange.rawValue), "symbol": .string(symbol),
                "reasons": .string(outcome.reasons.joined(separator: ",")),
                "market_regime": .string(regime.regime.rawValue),
            ],
            on: req.db)
        return ExitAnswer(
            shouldExit: outcome.shouldExit, exchange: exchange, strategyId: strategy.strategy,
            strategySource: strategy.source, marketRegime: regime.regime, regimeSource: regime.source,
            reasons: outcome.reasons, checks: outcome.checks)
    }
}
