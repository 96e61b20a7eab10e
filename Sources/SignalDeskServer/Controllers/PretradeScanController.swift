import Fluent
import SignalDeskCore
import Vapor

/// `POST /ops/execution/pretrade/{exchange}/scan` (issue 25, group 1): the pretrade checks of one
/// account run over up to 500 candidates, scored and ranked (``PretradeScan``), each timed.
struct PretradeScanController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(BearerAuthMiddleware(), RoleGuard(.admin, .trader))
            .post("ops", "execution", "pretrade", ":exchange", "scan", use: Self.scan)
    }

    /// One candidate: a pretrade check's body, whose market hints the score reads too.
    typealias Candidate = PretradeRequest

    struct Body: Content {
        let candidates: [Candidate]
        let topN: Int?
        let includeBlocked: Bool?
    }

    struct Asset: Content {
        let symbol: String
        let side: String
        let qty: Double
        let passed: Bool
        let score: Double
        let marketRegime: MarketRegime
        let regimeSource: MarketRegime.Source
        let passedChecks: Int
        let totalChecks: Int
        let failedChecks: [String]
        let durationMs: Double
        let pretrade: ExecutionController.PretradeAnswer
    }

    struct Answer: Content {
        let exchange: Exchange
        let scannedAssets: Int
        let returnedAssets: Int
        let passedAssets: Int
        let blockedAssets: Int
        let durationMsTotal: Double
        let durationMsAvg: Double
        let assets: [Asset]
    }

    /// A candidate checked and normalised: what the scan evaluates.
    typealias Checked = PretradeRequest.Checked

    static func invalid(_ loc: [String], _ message: String) -> APIError {
        APIError(.unprocessableEntity, items: [.init(loc: ["body"] + loc, msg: message, type: "value_error")])
    }

    /// The body's problems as 422s naming the field (`candidates.3.qty`); nothing is evaluated
    /// before the whole body is valid.
    static func validate(_ body: Body) throws -> (candidates: [Checked], topN: Int, includeBlocked: Bool) {
        guard body.candidates.count <= PretradeScan.maxCandidates else {
            throw invalid(["candidates"], "at most \(PretradeScan.maxCandidates) candidates per scan")
        }
        let topN = body.topN ?? 10
        guard PretradeScan.topNRange.contains(topN) else {
            throw invalid(
                ["top_n"],
                "top_n must be from \(PretradeScan.topNRange.lowerBound) to \(PretradeScan.topNRange.upperBound)")
        }
        let checked = try body.candidates.enumerated().map { index, candidate in
            try candidate.checked(at: ["body", "candidates", String(index)])
        }
        return (checked, topN, body.includeBlocked ?? true)
    }

    /// Evaluates and ranks `candidates` for the caller; shared with auto-pick.
    static func run(
        _ req: Request, caller: AuthenticatedUser, exchange: Exchange, candidates: [Checked], topN: Int,
        includeBlocked: Bool
    ) async throws -> Answer {
        guard let user = try await User.find(caller.id, on: req.db) else { throw BearerAuthMiddleware.invalid }
        let clock = ContinuousClock()
        let started = clock.now
        let account = try await PretradeAccount.load(user: user, exchange: exchange, app: req.application, on: req.db)
        // MAX_OPEN_QTY_PER_SYMBOL: each candidate against what the user holds (crypto-saas's
        // `exposure_limits` check), read once for the whole scan.
        let exposure = req.application.appConfig.symbolExposure
        let held = exposure.isOn ? try await RiskStateStore.openQtyBySymbol(userID: caller.id, on: req.db) : [:]
        var rows: [PretradeScan.Ranked<Asset>] = []
        rows.reserveCapacity(candidates.count)
        for candidate in candidates {
            let tick = clock.now
            var checks = account.evaluate(candidate.proposal)
            if exposure.isOn {
                let block = exposure.block(openQty: held[candidate.symbol] ?? 0, adding: candidate.qty)
                checks.append(
                    RuleCheck(name: "exposure_limits", passed: block == nil, detail: block?.message ?? "ok"))
            }
            let failed = checks.filter { !$0.passed }.map(\.name)
            let regime = candidate.proposal.regime
            let score = PretradeScan.score(checks: checks, proposal: candidate.proposal, market: candidate.market)
            let pretrade = ExecutionController.PretradeAnswer(
                passed: failed.isEmpty, exchange: exchange, strategyId: account.strategy.strategy,
                strategySource: account.strategy.source, riskProfile: account.limits.profileName,
                marketRegime: regime.regime, regimeSource: regime.source, checks: checks)
            let asset = Asset(
                symbol: candidate.symbol, side: candidate.side.orderWord, qty: candidate.qty, passed: failed.isEmpty,
                score: score, marketRegime: regime.regime, regimeSource: regime.source,
                passedChecks: checks.count - failed.count, totalChecks: checks.count,
                failedChecks: failed, durationMs: milliseconds(clock.now - tick), pretrade: pretrade)
            rows.append(.init(passed: asset.passed, score: score, payload: asset))
        }
        let ranked = PretradeScan.rank(rows, includeBlocked: includeBlocked, topN: topN)
        let total = milliseconds(clock.now - started)
        let passed = rows.filter(\.passed).count
        return Answer(
            exchange: exchange, scannedAssets: candidates.count, returnedAssets: ranked.count, passedAssets: passed,
            blockedAssets: candidates.count - passed, durationMsTotal: total,
            durationMsAvg: candidates.isEmpty ? 0 : (total / Double(candidates.count) * 1000).rounded() / 1000,
            assets: ranked.map(\.payload))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }

    /// What an idempotency key remembers of a scan: its validated fields.
    struct Fingerprint: Encodable {
        struct Candidate: Encodable {
            let symbol: String
            let side: String
            let qty: Double
            let proposal: PretradeCheck.Proposal
            let market: PretradeScan.Market
        }

        let exchange: String
        let topN: Int
        let includeBlocked: Bool
        let candidates: [Candidate]
    }

    @Sendable static func scan(req: Request) async throws -> Response {
        let caller = try req.caller
        let exchange = try ExecutionController.exchange(req)
        let body = try req.content.decode(Body.self)
        let (candidates, topN, includeBlocked) = try validate(body)
        let key = try IdempotencyKeyHeader.read(req.headers)
        try await requireTrading(req, caller: caller, exchange: exchange, action: "pretrade_scan")
        let keys = IdempotencyKeys(db: req.db)
        let scope = "pretrade.scan.\(exchange.rawValue.lowercased())"
        var fingerprint = ""
        if let key {
            fingerprint = try RequestFingerprint.of(
                Fingerprint(
                    exchange: exchange.rawValue, topN: topN, includeBlocked: includeBlocked,
                    candidates: candidates.map {
                        .init(
                            symbol: $0.symbol, side: $0.side.orderWord, qty: $0.qty, proposal: $0.proposal,
                            market: $0.market)
                    }))
            if let earlier = try await IdempotencyAnswers.refusing({
                try await keys.stored(userID: caller.id, scope: scope, key: key, fingerprint: fingerprint)
            }) {
                return IdempotencyAnswers.replay(earlier)
            }
        }
        let answer = try await run(
            req, caller: caller, exchange: exchange, candidates: candidates, topN: topN, includeBlocked: includeBlocked)
        try await AuditLog.record(
            AuditAction.pretradeScanCompleted, userID: caller.id, entityType: "exchange", entityID: exchange.rawValue,
            details: [
                "exchange": .string(exchange.rawValue), "scanned_assets": .int(answer.scannedAssets),
                "returned_assets": .int(answer.returnedAssets), "passed_assets": .int(answer.passedAssets),
                "blocked_assets": .int(answer.blockedAssets), "duration_ms_total": .double(answer.durationMsTotal),
            ], on: req.db)
        let text = String(decoding: try JSONCoding.encode(answer), as: UTF8.self)
        if let key {
            try await IdempotencyAnswers.refusing {
                try await keys.remember(
                    userID: caller.id, scope: scope, key: key, fingerprint: fingerprint, statusCode: 200, body: text,
                    now: req.application.wallClock.now())
            }
        }
        return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: text))
    }

    /// What refuses a scan (or an auto-pick) before any candidate is looked at: trading globally
    /// disabled (409, as the pretrade check) and an exchange the user's assignment disables (403,
    /// audited).
    static func requireTrading(_ req: Request, caller: AuthenticatedUser, exchange: Exchange, action: String)
        async throws
    {
        try await TradingControl.requireTradingEnabled(req, caller: caller, action: action, exchange: exchange)
        let strategy = try await EffectiveStrategy.load(userID: caller.id, exchange: exchange, on: req.db)
        try await ExecutionController.requireEnabled(exchange, strategy: strategy, caller: caller, on: req.db)
    }
}
