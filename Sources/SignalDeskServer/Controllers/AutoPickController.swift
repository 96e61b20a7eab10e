import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// `POST /ops/execution/pretrade/{exchange}/auto-pick` and `GET /ops/admin/auto-pick/report`
/// (issue 25, group 2): the best passing candidate of a scan, named (dry run) or sent as a test
/// order; an execution needs an idempotency key and runs once per key.
struct AutoPickController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(BearerAuthMiddleware(), RoleGuard(.admin, .trader))
            .post("ops", "execution", "pretrade", ":exchange", "auto-pick", use: Self.autoPick)
        routes.adminOnly.get("ops", "admin", "auto-pick", "report", use: Self.report)
    }

    struct Body: Content {
        let candidates: [PretradeScanController.Candidate]?
        let topN: Int?
        let dryRun: Bool?
        let direction: String?
    }

    /// The test order's answer, or why it was not sent.
    struct Execution: Content {
        let exchange: Exchange
        let mode: String?
        let symbol: String
        let side: String
        let qty: Double
        let sent: Bool
        let orderRef: String?
        let error: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(exchange, forKey: .exchange)
            try container.encodeIfPresent(mode, forKey: .mode)
            try container.encode(symbol, forKey: .symbol)
            try container.encode(side, forKey: .side)
            try container.encode(qty, forKey: .qty)
            try container.encode(sent, forKey: .sent)
            try container.encodeIfPresent(orderRef, forKey: .orderRef)
            try container.encodeIfPresent(error, forKey: .error)
        }
    }

    struct Answer: Content {
        let exchange: Exchange
        let dryRun: Bool
        let requestedDirection: AutoPick.Direction
        let selected: Bool
        @NullEncodable var selectedSymbol: String?
        @NullEncodable var selectedSide: String?
        @NullEncodable var selectedQty: Double?
        @NullEncodable var selectedScore: Double?
        let decision: AutoPick.Decision
        let executionStatus: String
        let topFailedChecks: [String]
        @NullEncodable var execution: Execution?
        /// crypto-saas's learning comparison; SignalDesk has no prediction model (issue 25, group 13).
        let predictionVsReal: String
        let scan: PretradeScanController.Answer
    }

    /// The validated request: what its idempotency key remembers.
    struct Fingerprinted: Encodable {
        struct Candidate: Encodable {
            let symbol: String
            let side: String
            let qty: Double
            let rrEstimate: Double
            let trendTf: String
            let signalTf: String
            let timingTf: String
            let spreadBps: Double
            let slippageBps: Double
            let volume24hUsdt: Double
            let inRth: Bool
            let macroEventBlock: Bool
            let earningsWithin24h: Bool
            let marketTrendScore: Double
            let momentumScore: Double
        }

        let exchange: String
        let topN: Int
        let dryRun: Bool
        let direction: String
        let candidates: [Candidate]
    }

    static func scope(_ exchange: Exchange) -> String { "pretrade.auto_pick.\(exchange.rawValue.lowercased())" }

    @Sendable static func autoPick(req: Request) async throws -> Response {
        let caller = try req.caller
        let exchange = try ExecutionController.exchange(req)
        let body = try req.content.decode(Body.self)
        let scanBody = PretradeScanController.Body(
            candidates: body.candidates ?? [], topN: body.topN, includeBlocked: true)
        let (candidates, topN, _) = try PretradeScanController.validate(scanBody)
        let dryRun = body.dryRun ?? true
        var direction = AutoPick.Direction.both
        if let text = body.direction {
            guard let parsed = AutoPick.Direction(parsing: text) else {
                throw PretradeScanController.invalid(["direction"], "direction must be LONG, SHORT or BOTH")
            }
            direction = parsed
        }
        if !dryRun, !exchange.usesAPIKeys {
            // A dYdX order is signed with the wallet's key: there is no test order to send (as
            // POST /ops/execution/{exchange}/test-order refuses it).
            throw PretradeScanController.invalid(
                ["dry_run"], "dry_run must be true for \(exchange.rawValue): its orders are signed with the wallet key")
        }
        let key = try IdempotencyKeyHeader.read(req.headers)
        if !dryRun, key == nil { throw APIError(.badRequest, "X-Idempotency-Key is required when dry_run=false") }
        try await PretradeScanController.requireTrading(
            req, caller: caller, exchange: exchange, action: "pretrade_auto_pick")

        let keys = IdempotencyKeys(db: req.db)
        var reservation: IdempotencyRecord?
        if let key {
            let fingerprint = try RequestFingerprint.of(
                Fingerprinted(
                    exchange: exchange.rawValue, topN: topN, dryRun: dryRun, direction: direction.rawValue,
                    candidates: candidates.map {
                        .init(
                            symbol: $0.symbol, side: $0.side.orderWord, qty: $0.qty, rrEstimate: $0.proposal.rewardRisk,
                            trendTf: $0.proposal.trendTimeframe, signalTf: $0.proposal.signalTimeframe,
                            timingTf: $0.proposal.timingTimeframe, spreadBps: $0.proposal.spreadBps,
                            slippageBps: $0.proposal.slippageBps, volume24hUsdt: $0.proposal.volume24hUSDT,
                            inRth: $0.proposal.inRegularTradingHours, macroEventBlock: $0.proposal.macroEventBlock,
                            earningsWithin24h: $0.proposal.earningsWithin24h, marketTrendScore: $0.market.trendScore,
                            momentumScore: $0.market.momentumScore)
                    }))
            let taken = try await IdempotencyAnswers.refusing {
                try await keys.reserve(
                    userID: caller.id, scope: scope(exchange), key: key, fingerprint: fingerprint,
                    now: req.application.wallClock.now())
            }
            if let earlier = taken.earlier { return IdempotencyAnswers.replay(earlier) }
            reservation = taken.reservation
        }
        do {
            try await AuditLog.record(
                AuditAction.pretradeAutoPickStarted, userID: caller.id, entityType: "exchange",
                entityID: exchange.rawValue,
                details: [
                    "exchange": .string(exchange.rawValue), "dry_run": .bool(dryRun),
                    "requested_direction": .string(direction.rawValue),
                ], on: req.db)
            let answer = try await pick(
                req, caller: caller, exchange: exchange, candidates: candidates.filter { direction.admits($0.side) },
                topN: topN, dryRun: dryRun, direction: direction)
            let decisionID = await recordLearning(req, caller: caller, candidates: candidates, answer: answer)
            let text = String(decoding: try JSONCoding.encode(answer), as: UTF8.self)
            if let reservation { try await keys.finish(reservation, statusCode: 200, body: text) }
            try await AuditLog.record(
                AuditAction.pretradeAutoPickCompleted, userID: caller.id, entityType: "exchange",
                entityID: exchange.rawValue,
                details: [
                    "exchange": .string(exchange.rawValue), "dry_run": .bool(dryRun),
                    "decision": .string(answer.decision.rawValue), "selected": .bool(answer.selected),
                    "selected_symbol": answer.selectedSymbol.map(AuditValue.string) ?? .null,
                    "selected_side": answer.selectedSide.map(AuditValue.string) ?? .null,
                    "selected_qty": answer.selectedQty.map(AuditValue.double) ?? .null,
                    "selected_score": answer.selectedScore.map(AuditValue.double) ?? .null,
                    "top_failed_checks": .string(answer.topFailedChecks.joined(separator: ",")),
                    "scanned_assets": .int(answer.scan.scannedAssets),
                    "learning_decision_id": decisionID.map { AuditValue.string($0.uuidString.lowercased()) } ?? .null,
                ], on: req.db)
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: text))
        } catch {
            // Nothing worth repeating was stored: a retry with the key runs again.
            if let reservation { try? await keys.release(reservation) }
            throw error
        }
    }

    /// Scans `candidates`, takes the first that passed and, unless `dryRun`, sends it as a test
    /// order with the caller's credentials. A venue refusal is an answer (decision
    /// `insufficient_resources_or_execution_error`), not an error: it is what the key repeats.
    static func pick(
        _ req: Request, caller: AuthenticatedUser, exchange: Exchange,
        candidates: [PretradeScanController.Checked], topN: Int, dryRun: Bool, direction: AutoPick.Direction
    ) async throws -> Answer {
        let scan = try await PretradeScanController.run(
            req, caller: caller, exchange: exchange, candidates: candidates, topN: topN, includeBlocked: true)
        guard let index = AutoPick.pick(passed: scan.assets.map(\.passed)) else {
            return Answer(
                exchange: exchange, dryRun: dryRun, requestedDirection: direction, selected: false, selectedSymbol: nil,
                selectedSide: nil, selectedQty: nil, selectedScore: nil, decision: .noCandidatePassed,
                executionStatus: AutoPick.Decision.noCandidatePassed.executionStatus,
                topFailedChecks: scan.assets.first?.failedChecks ?? [], execution: nil,
                predictionVsReal: "no_prediction", scan: scan)
        }
        let chosen = scan.assets[index]
        var decision = AutoPick.Decision.dryRunSelected
        var execution: Execution?
        if !dryRun {
            let side = TradeSide(parsing: chosen.side) ?? .long
            let loaded = try await ExchangeCredentials.load(
                userID: caller.id, exchange: exchange, keyRing: req.application.appConfig.keyRing, on: req.db)
            let outcome: Result<ExecutionController.TestOrderAnswer, ExecutionController.TestOrderFailure>
            if let (credentials, _) = loaded {
                outcome = try await ExecutionController.placeTestOrder(
                    req, exchange: exchange, caller: caller, symbol: chosen.symbol, side: side, qty: chosen.qty,
                    credentials: credentials)
            } else {
                outcome = .failure(.init(message: "Missing credentials for \(exchange.rawValue)"))
            }
            switch outcome {
            case .success(let sent):
                decision = .executedTestOrder
                execution = Execution(
                    exchange: exchange, mode: sent.mode, symbol: sent.symbol, side: sent.side, qty: sent.qty,
                    sent: true,
                    orderRef: sent.orderRef, error: nil)
            case .failure(let failure):
                decision = .executionError
                execution = Execution(
                    exchange: exchange, mode: nil, symbol: chosen.symbol, side: chosen.side, qty: chosen.qty,
                    sent: false, orderRef: nil, error: failure.message)
            }
        }
        return Answer(
            exchange: exchange, dryRun: dryRun, requestedDirection: direction, selected: true,
            selectedSymbol: chosen.symbol, selectedSide: chosen.side, selectedQty: chosen.qty,
            selectedScore: chosen.score, decision: decision, executionStatus: decision.executionStatus,
            topFailedChecks: [], execution: execution, predictionVsReal: "no_prediction", scan: scan)
    }

    /// Records the pick for the learning pipeline (issue 25, group 13). A failure is logged, not
    /// thrown: the pick (and any test order it sent) stands, and its idempotency key must keep it.
    static func recordLearning(
        _ req: Request, caller: AuthenticatedUser, candidates: [PretradeScanController.Checked], answer: Answer
    ) async -> UUID? {
        let assets = answer.scan.assets
        let asset = answer.selected ? assets.first { $0.symbol == answer.selectedSymbol && $0.passed } : assets.first
        let checked = asset.flatMap { asset in
            candidates.first { $0.symbol == asset.symbol && $0.side.orderWord == asset.side && $0.qty == asset.qty }
        }
        var candidate: LearningRecorder.Decision.Candidate?
        if let asset, let checked {
            candidate = .init(
                symbol: asset.symbol, side: checked.side, qty: asset.qty, score: asset.score,
                rrEstimate: checked.proposal.rewardRisk, trendScore: checked.market.trendScore,
                momentumScore: checked.market.momentumScore, volume24hUSDT: checked.proposal.volume24hUSDT,
                spreadBps: checked.proposal.spreadBps, slippageBps: checked.proposal.slippageBps)
        }
        let decision = LearningRecorder.Decision(
            userID: caller.id, exchange: answer.exchange, dryRun: answer.dryRun, selected: answer.selected,
            decision: answer.decision.rawValue, candidate: candidate,
            averageScore: assets.isEmpty ? nil : assets.map(\.score).reduce(0, +) / Double(assets.count),
            scannedAssets: answer.scan.scannedAssets, topFailedChecks: answer.topFailedChecks)
        let entry: Double? = if let candidate { await req.application.marketPrices.last(candidate.symbol) } else { nil }
        do {
            return try await LearningRecorder.record(
                decision, entryPrice: entry, now: req.application.wallClock.now(),
                transactions: req.application.stores.transactions, on: req.db)
        } catch {
            req.logger.warning("Learning decision not recorded: \(String(reflecting: type(of: error)))")
            return nil
        }
    }

    @Sendable static func report(req: Request) async throws -> AutoPickReport.Answer {
        let hours = try QueryValue.int(req, "hours", default: 2, range: 1...48)
        let limit = try QueryValue.int(req, "limit", default: 500, range: 1...2000)
        let interval = try QueryValue.int(req, "interval_minutes", default: 5, range: 1...60)
        return try await AutoPickReport.build(
            hours: hours, limit: limit, intervalMinutes: interval, now: req.application.wallClock.now(), on: req.db)
    }
}

/// How a stored idempotent answer and the key's refusals reach the client.
enum IdempotencyAnswers {
    static func replay(_ record: IdempotencyRecord) -> Response {
        Response(
            status: HTTPResponseStatus(statusCode: record.statusCode), headers: ["Content-Type": "application/json"],
            body: .init(string: record.responseBody))
    }

    /// Runs `body`, turning ``IdempotencyKeys/Refusal`` into the 409s crypto-saas answers.
    static func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refusal as IdempotencyKeys.Refusal {
            switch refusal {
            case .differentPayload: throw APIError(.conflict, "Idempotency key already used with different payload")
            case .inProgress:
                throw APIError(.conflict, "A request with this idempotency key is still in progress")
            }
        }
    }
}
