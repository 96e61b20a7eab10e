import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// One auto-exit tick (issue 25, group 3; `POST /ops/admin/exit/tick`): every open position of the
/// chosen users is evaluated at its last known price with the exit rules the position monitor
/// uses (``ExitRules``); the positions that should exit are closed through the monitor's close
/// (``SignalExecution/closePosition(_:clientOrderID:reason:signal:)``), most urgent first, within
/// the brakes of ``ExitTick/Policy``. A dry run closes nothing and reports what would be closed.
struct AutoExitTick {
    let app: Application
    /// The request's database handle.
    let db: any Database

    struct Options: Encodable {
        let dryRun: Bool
        let realOnly: Bool
        let includeServiceUsers: Bool
        let maxPositions: Int
        let userEmail: String?
    }

    struct Row: Content {
        let userEmail: String
        let exchange: String
        let positionId: UUID
        let symbol: String
        /// The order word of the position's direction (`BUY` for a long), as the exit check takes it.
        let side: String
        let openedMinutes: Int
        let shouldExit: Bool
        var closed: Bool
        var reason: String
        let dryRun: Bool
        let entryPrice: Double
        @NullEncodable var currentPrice: Double?
        @NullEncodable var realizedPnl: Double?
    }

    struct Answer: Content {
        let dryRun: Bool
        let paused: Bool
        let scannedPositions: Int
        let exitCandidates: Int
        let closedPositions: Int
        let skippedNoPrice: Int
        let skippedByPolicy: Int
        let errors: Int
        let results: [Row]
    }

    private struct Candidate {
        let index: Int
        let position: Position
        let reasons: [String]
        let openedMinutes: Double
    }

    func run(_ options: Options, policy: ExitTick.Policy, callerID: UUID, now: Date) async throws -> Answer {
        let wanted = options.userEmail?.lowercased()
        let policies = try await app.tradingSettings.current(on: db).policies
        let users = try await User.query(on: db).filter(\.$role ~~ [.admin, .trader]).all().filter { user in
            if let wanted, user.email.lowercased() != wanted { return false }
            if options.realOnly, !RealUser.isReal(email: user.email) { return false }
            if !options.includeServiceUsers, ServiceUsers.isService(email: user.email) { return false }
            return true
        }
        let emails = Dictionary(uniqueKeysWithValues: users.compactMap { user in user.id.map { ($0, user.email) } })
        let positions =
            emails.isEmpty
            ? []
            : try await Position.query(on: db).filter(\.$status == .open).filter(\.$user.$id ~~ Array(emails.keys))
                .sort(\.$openedAt).sort(\.$id).limit(options.maxPositions).all()

        var rows: [Row] = []
        var candidates: [Candidate] = []
        var skippedNoPrice = 0
        var strategies: [String: EffectiveStrategy] = [:]
        for position in positions {
            let userID = position.$user.id
            let minutes = max(0, now.timeIntervalSince(position.openedAt) / 60)
            let price = await app.marketPrices.last(position.symbol)
            let exchange = Exchange(rawValue: position.exchange)
            var row = Row(
                userEmail: emails[userID] ?? "unknown", exchange: position.exchange,
                positionId: try position.requireID(),
                symbol: position.symbol, side: position.side.orderWord, openedMinutes: Int(minutes),
                shouldExit: false, closed: false, reason: "no_price", dryRun: options.dryRun,
                entryPrice: position.entryPrice, currentPrice: price, realizedPnl: nil)
            guard let price, let exchange else {
                skippedNoPrice += 1
                rows.append(row)
                continue
            }
            let key = "\(userID)|\(exchange.rawValue)"
            let strategy: EffectiveStrategy
            if let known = strategies[key] {
                strategy = known
            } else {
                strategy = try await EffectiveStrategy.load(userID: userID, exchange: exchange, on: db)
                strategies[key] = strategy
            }
            let outcome = ExitRules.evaluate(
                position: position, price: price, strategy: strategy, exchange: exchange, policies: policies,
                now: now)
            row = Row(
                userEmail: row.userEmail, exchange: row.exchange, positionId: row.positionId, symbol: row.symbol,
                side: row.side, openedMinutes: row.openedMinutes, shouldExit: outcome.shouldExit, closed: false,
                reason: outcome.shouldExit ? outcome.reasons.joined(separator: ",") : "hold", dryRun: options.dryRun,
                entryPrice: row.entryPrice, currentPrice: price, realizedPnl: nil)
            if outcome.shouldExit {
                candidates.append(
                    Candidate(index: rows.count, position: position, reasons: outcome.reasons, openedMinutes: minutes))
            }
            rows.append(row)
        }

        var progress = ExitTick.Progress()
        var skippedByPolicy = 0
        var closedThisTick: Set<String> = []
        let ordered = ExitTick.order(candidates, reasons: \.reasons, openedMinutes: \.openedMinutes)
        for candidate in ordered {
            let position = candidate.position
            let userID = position.$user.id
            let symbolKey = "\(userID)|\(position.symbol)"
            let reasons = rows[candidate.index].reason
            var recently = false
            if !options.dryRun, policy.symbolCooldownSeconds > 0 {
                recently =
                    try await Position.query(on: db).filter(\.$user.$id == userID)
                    .filter(\.$symbol == position.symbol).filter(\.$status == .closed)
                    .filter(\.$closedAt >= now.addingTimeInterval(-Double(policy.symbolCooldownSeconds)))
                    .count() > 0
            }
            if let skip = ExitTick.skipReason(
                policy: policy, dryRun: options.dryRun, progress: progress,
                symbolClosedThisTick: closedThisTick.contains(symbolKey), symbolClosedRecently: recently)
            {
                skippedByPolicy += 1
                rows[candidate.index].reason = "policy_skipped:\(skip.rawValue)|\(reasons)"
                try await AuditLog.record(
                    AuditAction.exitAutoCloseSkipped, userID: userID, entityType: "position",
                    entityID: position.id?.uuidString.lowercased(),
                    details: [
                        "policy_skip_reason": .string(skip.rawValue), "reasons": .string(reasons),
                        "dry_run": .bool(options.dryRun),
                    ], on: db, at: now)
                continue
            }
            if options.dryRun {
                try await recordTriggered(position, reasons: reasons, closed: false, dryRun: true, now: now)
                continue
            }
            let id = try position.requireID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            var closed = false
            var failure = "venue refused or credentials missing"
            do {
                // The monitor's client order id: the venue refuses a second exit of one position.
                closed = try await SignalExecution(app: app).closePosition(
                    position, clientOrderID: SignalExecution.exitClientOrderID(try position.requireID()),
                    reason: candidate.reasons.first ?? "exit", signal: nil)
            } catch {
                failure = "close failed"
                app.logger.warning("Exit tick: closing position \(id) failed: \(String(reflecting: error))")
            }
            guard closed else {
                progress.errors += 1
                skippedByPolicy += 1
                rows[candidate.index].reason = "policy_skipped:close_error|\(reasons)"
                try await AuditLog.record(
                    AuditAction.exitAutoCloseError, userID: userID, entityType: "position",
                    entityID: position.id?.uuidString.lowercased(),
                    details: ["reasons": .string(reasons), "error": .string(failure)], on: db, at: now)
                continue
            }
            progress.closed += 1
            closedThisTick.insert(symbolKey)
            rows[candidate.index].closed = true
            rows[candidate.index].realizedPnl = try await Position.find(position.id, on: db)?.realizedPnL
            try await recordTriggered(position, reasons: reasons, closed: true, dryRun: false, now: now)
        }

        let answer = Answer(
            dryRun: options.dryRun, paused: policy.paused, scannedPositions: positions.count,
            exitCandidates: candidates.count, closedPositions: progress.closed, skippedNoPrice: skippedNoPrice,
            skippedByPolicy: skippedByPolicy, errors: progress.errors, results: rows)
        try await AuditLog.record(
            AuditAction.exitAutoCloseTickSummary, userID: callerID, entityType: "exit_tick",
            details: [
                "dry_run": .bool(answer.dryRun), "paused": .bool(answer.paused),
                "scanned_positions": .int(answer.scannedPositions), "exit_candidates": .int(answer.exitCandidates),
                "closed_positions": .int(answer.closedPositions), "skipped_no_price": .int(answer.skippedNoPrice),
                "skipped_by_policy": .int(answer.skippedByPolicy), "errors": .int(answer.errors),
            ], on: db, at: now)
        return answer
    }

    private func recordTriggered(_ position: Position, reasons: String, closed: Bool, dryRun: Bool, now: Date)
        async throws
    {
        try await AuditLog.record(
            AuditAction.exitAutoCloseTriggered, userID: position.$user.id, entityType: "position",
            entityID: position.id?.uuidString.lowercased(),
            details: ["reasons": .string(reasons), "closed": .bool(closed), "dry_run": .bool(dryRun)], on: db,
            at: now)
    }
}
