import Fluent
import Foundation
import SignalDeskCore

/// Records an auto-pick for the learning pipeline (issue 25, group 13): the decision, and when it
/// named a symbol (the pick, or the best-ranked candidate when none passed) a `pending` outcome
/// due ``LearningOutcome/defaultHorizonMinutes`` later, with the symbol's last known price as
/// its entry (none known: the outcome is labeled `no_price`, then `expired`).
enum LearningRecorder {
    /// What the pick decided and saw.
    struct Decision: Sendable {
        struct Candidate: Sendable {
            var symbol: String
            var side: TradeSide
            var qty: Double
            var score: Double
            var rrEstimate: Double
            var trendScore: Double
            var momentumScore: Double
            var volume24hUSDT: Double
            var spreadBps: Double
            var slippageBps: Double
        }

        var userID: UUID
        var exchange: Exchange
        var dryRun: Bool
        var selected: Bool
        var decision: String
        /// The picked candidate, or the best-ranked one when none passed; nil for an empty scan.
        var candidate: Candidate?
        var averageScore: Double?
        var scannedAssets: Int
        var topFailedChecks: [String]
    }

    /// Writes the decision and its outcome in one transaction; returns the decision's id.
    static func record(
        _ decision: Decision, entryPrice: Double?, now: Date, transactions: any TransactionStore, on db: any Database
    ) async throws -> UUID {
        let horizon = LearningOutcome.defaultHorizonMinutes
        let row = LearningDecision()
        let id = UUID()
        row.id = id
        row.$user.id = decision.userID
        row.exchange = decision.exchange.rawValue
        row.decisionAt = now
        row.targetHorizonMinutes = horizon
        row.dryRun = decision.dryRun
        row.selected = decision.selected
        row.decision = decision.decision
        let candidate = decision.candidate
        if decision.selected, let candidate {
            row.selectedSymbol = candidate.symbol
            row.selectedSide = candidate.side.orderWord
            row.selectedQty = candidate.qty
            row.selectedScore = candidate.score
        }
        row.topCandidateSymbol = candidate?.symbol
        row.topCandidateScore = candidate?.score
        row.avgScore = decision.averageScore
        row.scannedAssets = decision.scannedAssets
        row.rrEstimate = candidate?.rrEstimate
        row.trendScore = candidate?.trendScore
        row.momentumScore = candidate?.momentumScore
        row.volume24hUSDT = candidate?.volume24hUSDT
        row.spreadBps = candidate?.spreadBps
        row.slippageBps = candidate?.slippageBps
        row.entryPrice = entryPrice
        row.topFailedChecks = decision.topFailedChecks.isEmpty ? nil : decision.topFailedChecks.joined(separator: ",")
        row.createdAt = now
        try await transactions.run(on: db) { tx in
            try await row.create(on: tx)
            guard let candidate else { return }
            let outcome = LearningOutcomeRow()
            outcome.$decision.id = id
            outcome.$user.id = decision.userID
            outcome.exchange = decision.exchange.rawValue
            outcome.symbol = candidate.symbol
            outcome.side = candidate.side.orderWord
            outcome.qty = candidate.qty
            outcome.decisionAt = now
            outcome.dueAt = now.addingTimeInterval(Double(horizon) * 60)
            outcome.horizonMinutes = horizon
            outcome.status = LearningOutcome.Status.pending.rawValue
            outcome.entryPrice = entryPrice
            outcome.createdAt = now
            try await outcome.create(on: tx)
        }
        return id
    }
}
