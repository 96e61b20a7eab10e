import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// The learning pipeline's writing steps (issue 25, group 13), run on demand by an admin:
/// labeling due outcomes with the last known prices, and refreshing the hourly rollups.
enum LearningPipeline {
    /// Where an exit price comes from: the last price SignalDesk saw for the symbol (from accepted
    /// alerts and fills, ``MarketPrices``); SignalDesk makes no market-data call of its own.
    static let priceSource = "last_known_price"

    struct LabelRun: Content {
        let dryRun: Bool
        let horizonMinutes: Int
        let scanned: Int
        let labeled: Int
        let expired: Int
        let noPrice: Int
        let labeledRatePct: Double
        let expiredRatePct: Double
        let noPriceRatePct: Double
    }

    /// Labels up to `limit` outcomes that are due (`pending` or `no_price`, oldest due first),
    /// only those of `horizon` minutes when given; `dryRun` counts without writing.
    static func label(
        horizon: Int?, limit: Int, dryRun: Bool, now: Date, prices: MarketPrices, transactions: any TransactionStore,
        on db: any Database
    ) async throws -> LabelRun {
        var query = LearningOutcomeRow.query(on: db)
            .filter(\.$status ~~ LearningOutcome.Status.labelable.map(\.rawValue))
            .filter(\.$dueAt <= now)
        if let horizon { query = query.filter(\.$horizonMinutes == horizon) }
        let rows = try await query.sort(\.$dueAt).sort(\.$id).limit(limit).all()
        var labels: [(row: LearningOutcomeRow, label: LearningOutcome.Label, exit: Double?)] = []
        for row in rows {
            let exit = await prices.last(row.symbol)
            let label = LearningOutcome.label(
                entry: row.entryPrice, exit: exit, side: TradeSide(parsing: row.side) ?? .long, qty: row.qty,
                dueAt: row.dueAt, now: now)
            labels.append((row, label, exit))
        }
        if !dryRun, !labels.isEmpty {
            let updates = labels
            try await transactions.run(on: db) { tx in
                for (row, label, exit) in updates {
                    row.status = label.status.rawValue
                    switch label {
                    case .labeled(let returnPct, let pnlQuote, let hit):
                        row.labeledAt = now
                        row.exitPrice = exit
                        row.priceSource = Self.priceSource
                        row.returnPct = returnPct
                        row.pnlQuote = pnlQuote
                        row.hit = hit
                    case .expired:
                        row.labeledAt = now
                    case .noPrice:
                        break
                    }
                    try await row.save(on: tx)
                }
            }
        }
        let count = { (status: LearningOutcome.Status) in labels.filter { $0.label.status == status }.count }
        let (labeled, expired, noPrice) = (count(.labeled), count(.expired), count(.noPrice))
        return LabelRun(
            dryRun: dryRun, horizonMinutes: horizon ?? LearningOutcome.defaultHorizonMinutes, scanned: rows.count,
            labeled: labeled, expired: expired, noPrice: noPrice,
            labeledRatePct: LearningOutcome.rate(labeled, of: rows.count),
            expiredRatePct: LearningOutcome.rate(expired, of: rows.count),
            noPriceRatePct: LearningOutcome.rate(noPrice, of: rows.count))
    }

    struct RollupRun: Content {
        let hours: Int
        let groups: Int
        let upserted: Int
        let dryRun: Bool
        let processedRows: Int
        let maxRows: Int
        let truncated: Bool
    }

    /// Recomputes the hourly rollups of the outcomes labeled in the last `hours` (from the start of
    /// the hour the window begins in, so every bucket it rewrites is complete): the window's rows
    /// are replaced in one transaction. `dryRun` computes without writing.
    static func refreshRollup(
        hours: Int, dryRun: Bool, now: Date, transactions: any TransactionStore, on db: any Database
    ) async throws -> RollupRun {
        let from = LearningRollup.hour(of: now.addingTimeInterval(-Double(hours) * 3600))
        let rows = try await LearningOutcomeRow.query(on: db)
            .join(parent: \.$decision)
            .filter(\.$status == LearningOutcome.Status.labeled.rawValue)
            .filter(\.$labeledAt >= from)
            .sort(\.$labeledAt, .descending)
            .limit(LearningRollup.maxRows)
            .all()
        var samples: [LearningRollup.Sample] = []
        for row in rows {
            guard let labeledAt = row.labeledAt, let returnPct = row.returnPct else { continue }
            let decision = try row.joined(LearningDecision.self)
            samples.append(
                .init(
                    labeledAt: labeledAt, exchange: row.exchange, symbol: row.symbol,
                    horizonMinutes: row.horizonMinutes, returnPct: returnPct, hit: row.hit ?? false,
                    score: decision.selectedScore ?? decision.topCandidateScore))
        }
        let groups = LearningRollup.aggregate(samples)
        if !dryRun {
            try await transactions.run(on: db) { tx in
                try await LearningRollupHour.query(on: tx).filter(\.$bucketHour >= from).delete()
                for group in groups {
                    let row = LearningRollupHour()
                    row.bucketHour = group.key.bucketHour
                    row.exchange = group.key.exchange
                    row.symbol = group.key.symbol
                    row.horizonMinutes = group.key.horizonMinutes
                    row.samples = group.samples
                    row.hitRatePct = group.hitRatePct
                    row.avgReturnPct = group.avgReturnPct
                    row.p50ReturnPct = group.p50ReturnPct
                    row.p90ReturnPct = group.p90ReturnPct
                    row.avgScore = group.avgScore
                    row.updatedAt = now
                    try await row.create(on: tx)
                }
            }
        }
        return RollupRun(
            hours: hours, groups: groups.count, upserted: dryRun ? 0 : groups.count, dryRun: dryRun,
            processedRows: rows.count, maxRows: LearningRollup.maxRows, truncated: rows.count >= LearningRollup.maxRows)
    }
}
