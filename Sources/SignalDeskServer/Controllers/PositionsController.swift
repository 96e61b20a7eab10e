import Fluent
import SignalDeskCore
import Vapor

/// `/positions` and `/pnl/summary`: open from a claimed signal, close with PnL, daily risk.
struct PositionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let authed = routes.authenticated
        let positions = authed.grouped("positions")
        positions.post("open_from_signal", use: Self.open)
        positions.post("close", use: Self.close)
        positions.get(use: Self.list)
        positions.get("risk", "today", use: Self.riskToday)
        authed.get("pnl", "summary", use: Self.pnlSummary)
    }

    static func user(_ req: Request) async throws -> User {
        guard let user = try await User.find(try req.caller.id, on: req.db) else { throw BearerAuthMiddleware.invalid }
        return user
    }

    @Sendable static func open(req: Request) async throws -> PositionOut {
        let signalID = try QueryValue.uuid(req, "signal_id")
        let qty = try QueryValue.double(req, "qty")
        let halt = try await req.application.killSwitch.state(on: req.db)
        if halt.enabled { throw APIError(.conflict, "Trading halted: \(halt.reason ?? "kill switch engaged")") }
        let user = try await user(req)
        let book = PositionBook(app: req.application, db: req.db)
        do {
            return try PositionOut(try await book.open(signalID: signalID, qty: qty, for: user))
        } catch let failure as PositionBook.OpenFailure {
            switch failure {
            case .notFound: throw APIError(.notFound, "Signal not found")
            case .notOwner: throw APIError(.forbidden, "Cannot open another user's signal")
            case .wrongStatus(let status):
                throw APIError(.conflict, "Signal status must be EXECUTING (got \(status.rawValue))")
            case .missingEntry: throw APIError(.badRequest, "Signal missing entry_price")
            case .subscriptionInactive:
                try await AuditLog.record(
                    AuditAction.executionBlockedSubscription, userID: user.id, entityType: "signal",
                    entityID: signalID.uuidString, details: ["reasons": .string(SubscriptionGate.reason)],
                    on: req.db)
                throw APIError(.forbidden, "Subscription inactive")
            case .blocked(let block):
                // The transaction rolled back; the block is still recorded.
                try await AuditLog.record(
                    AuditAction.openBlocked(block), userID: user.id, entityType: "signal",
                    entityID: signalID.uuidString, details: ["qty": .double(qty), "reason": .string(block.message)],
                    on: req.db)
                throw APIError(.conflict, block.message)
            }
        }
    }

    @Sendable static func close(req: Request) async throws -> Response {
        let caller = try req.caller
        let positionID = try QueryValue.uuid(req, "position_id")
        let exitPrice = try QueryValue.double(req, "exit_price")
        let fees = try QueryValue.double(req, "fees", default: 0, allowZero: true)
        let key = try IdempotencyKeyHeader.read(req.headers)
        let book = PositionBook(app: req.application, db: req.db)
        let fingerprint = try RequestFingerprint.of(
            CloseFingerprint(positionId: positionID.uuidString.lowercased(), exitPrice: exitPrice, fees: fees))
        func replay() async throws -> Response? {
            guard let key,
                let record = try await IdempotencyAnswers.refusing({
                    try await IdempotencyKeys(db: req.db).stored(
                        userID: caller.id, scope: PositionBook.closeScope, key: key, fingerprint: fingerprint)
                })
            else { return nil }
            return IdempotencyAnswers.replay(record)
        }
        if let earlier = try await replay() { return earlier }
        do {
            let position = try await book.close(
                positionID: positionID, exitPrice: exitPrice, fees: fees, reason: "manual", userID: caller.id,
                idempotencyKey: key, requestHash: fingerprint)
            return try await PositionOut(position).encodeResponse(for: req)
        } catch let failure as PositionBook.CloseFailure {
            // A concurrent request with the same key may have closed it first.
            if let earlier = try await replay() { return earlier }
            switch failure {
            case .notFound: throw APIError(.notFound, "Position not found")
            case .notOwner: throw APIError(.forbidden, "Cannot close another user's position")
            case .notOpen(let status):
                throw APIError(.conflict, "Position status must be OPEN (got \(status.rawValue))")
            case .pnlOutOfRange:
                throw APIError(
                    .unprocessableEntity,
                    items: [
                        .init(
                            loc: ["query", "exit_price"],
                            msg: "exit_price and fees give a realized PnL beyond ±1000000000000000",
                            type: "value_error")
                    ])
            }
        } catch {
            // The key's row was inserted by a concurrent twin: answer what it answered.
            if (error as? any DatabaseError)?.isConstraintFailure == true, let earlier = try await replay() {
                return earlier
            }
            throw error
        }
    }

    /// What an idempotency key remembers of a close: its query values.
    struct CloseFingerprint: Encodable {
        let positionId: String
        let exitPrice: Double
        let fees: Double
    }

    /// `[PositionOut]`, written by ``JSONWriter``.
    @Sendable static func list(req: Request) async throws -> Response {
        let caller = try req.caller
        var status: PositionStatus?
        if let raw = req.query[String.self, at: "status"] {
            guard let parsed = PositionStatus(rawValue: raw.uppercased()) else {
                throw APIError(
                    .unprocessableEntity,
                    items: [.init(loc: ["query", "status"], msg: "status must be OPEN or CLOSED", type: "enum")])
            }
            status = parsed
        }
        let limit = try QueryValue.int(req, "limit", default: 1000, range: 1...5000)
        // Rows read column by column by the store and written by JSONWriter: Fluent models, and
        // Codable through SQLKit and JSONEncoder, cost over 100 µs per row (a user with 1,000
        // positions is the benchmark case; docs/benchmarks.md).
        let rows = try await req.application.stores.positionReads.list(
            userID: caller.id, status: status, limit: limit, on: req.db)
        var json = JSONWriter(capacity: 400 * rows.count + 2)
        json.beginArray()
        for row in rows { try PositionOut.write(row, to: &json) }
        json.endArray()
        return json.response()
    }

    struct RiskToday: Content {
        let userId: UUID
        let day: String
        let riskProfile: String
        let capitalBaseUsd: Double
        let tradesToday: Int
        let realizedPnlToday: Double
        let dailyStop: Double
        let maxTrades: Int
        let maxOpenPositions: Int
        let openPositionsNow: Int
        let cooldownBetweenTradesMinutes: Double
        let remainingTrades: Int
        let remainingLossBuffer: Double
        /// The most one trade may risk (capital × risk per trade; crypto-saas's later field).
        let maxRiskAmountUsd: Double
    }

    @Sendable static func riskToday(req: Request) async throws -> RiskToday {
        let user = try await user(req)
        let userID = try user.requireID()
        let book = PositionBook(app: req.application, db: req.db)
        let limits = try await book.limits(for: user)
        let day = book.calendar.day(of: req.application.wallClock.now())
        let state = try await book.riskState(userID: userID, day: day, on: req.db)
        return RiskToday(
            userId: userID, day: day, riskProfile: limits.profileName, capitalBaseUsd: limits.capitalBaseUSD,
            tradesToday: state.tradesToday, realizedPnlToday: state.realizedPnLToday, dailyStop: limits.dailyStop,
            maxTrades: limits.rules.maxTradesPerDay, maxOpenPositions: limits.rules.maxOpenPositions,
            openPositionsNow: state.openPositions, cooldownBetweenTradesMinutes: limits.rules.cooldownMinutes,
            remainingTrades: limits.remainingTrades(tradesToday: state.tradesToday),
            remainingLossBuffer: limits.remainingLossBuffer(realizedPnLToday: state.realizedPnLToday),
            maxRiskAmountUsd: limits.maxRiskPerTrade)
    }

    struct Summary: Content {
        struct Day: Content {
            let day: String
            let realizedPnl: Double
            let trades: Int
        }

        let totalRealizedPnl: Double
        let totalFees: Double
        let winRate: Double
        let averageWin: Double
        let averageLoss: Double
        @NullEncodable var profitFactor: Double?
        let closedPositionsCount: Int
        let openPositionsCount: Int
        let byDay: [Day]
    }

    @Sendable static func pnlSummary(req: Request) async throws -> Summary {
        let caller = try req.caller
        let days = try QueryValue.int(req, "days", default: 30, range: 1...3650)
        let calendar = TradingCalendar(timeZone: req.application.appConfig.tradingDayTimeZone)
        // `days` trading days including today.
        let since = calendar.startOfDay(req.application.wallClock.now(), daysBefore: days - 1)
        let closed = try await Position.query(on: req.db)
            .filter(\.$user.$id == caller.id).filter(\.$status == .closed).filter(\.$closedAt >= since)
            .all()
        let summary = PnLSummary(
            closes: closed.map {
                .init(
                    day: $0.closedDay ?? calendar.day(of: $0.closedAt ?? $0.openedAt), realizedPnL: $0.realizedPnL ?? 0,
                    fees: $0.fees)
            })
        let open = try await Position.query(on: req.db).filter(\.$user.$id == caller.id).filter(\.$status == .open)
            .count()
        return Summary(
            totalRealizedPnl: summary.totalRealizedPnL, totalFees: summary.totalFees, winRate: summary.winRate,
            averageWin: summary.averageWin, averageLoss: summary.averageLoss, profitFactor: summary.profitFactor,
            closedPositionsCount: summary.closedCount, openPositionsCount: open,
            byDay: summary.byDay.map { .init(day: $0.day, realizedPnl: $0.realizedPnL, trades: $0.trades) })
    }
}

/// The idempotency key of a request: `Idempotency-Key` or crypto-saas's `X-Idempotency-Key`
/// (same meaning). Both present with different values: 400; longer than 200 characters or
/// blank: 422.
enum IdempotencyKeyHeader {
    static func read(_ headers: HTTPHeaders) throws -> String? {
        let plain = headers.first(name: "Idempotency-Key")?.trimmingCharacters(in: .whitespaces)
        let prefixed = headers.first(name: "X-Idempotency-Key")?.trimmingCharacters(in: .whitespaces)
        if let plain, let prefixed, plain != prefixed {
            throw APIError(.badRequest, "Idempotency-Key and X-Idempotency-Key differ")
        }
        guard let key = plain ?? prefixed else { return nil }
        guard (1...200).contains(key.count) else {
            throw APIError(.unprocessableEntity, "Idempotency-Key must be 1 to 200 characters")
        }
        return key
    }
}
