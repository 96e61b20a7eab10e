import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// `GET /ops/admin/learning/dataset` and `/suggestion-report` (issue 25, group 13): the recorded
/// decisions with their outcomes, in crypto-saas's shape. Its fields for features SignalDesk does
/// not have (rule and market sub-scores, liquidity state, ATR, a learning model's prediction) are
/// sent as null.
enum LearningDataset {
    struct Row: Content {
        let decisionId: UUID
        let timestamp: Date
        @NullEncodable var dueAt: Date?
        let tenantId: String
        let userId: UUID
        let exchange: String
        @NullEncodable var symbol: String?
        let decision: String
        let selected: Bool
        let dryRun: Bool
        @NullEncodable var selectedScore: Double?
        @NullEncodable var selectedScoreRules: Double?
        @NullEncodable var selectedScoreMarket: Double?
        @NullEncodable var selectedLiquidityState: String?
        @NullEncodable var rrEstimate: Double?
        @NullEncodable var trendScore: Double?
        @NullEncodable var momentumScore: Double?
        @NullEncodable var atrPct: Double?
        @NullEncodable var volume24hUsdt: Double?
        let horizonMinutes: Int
        @NullEncodable var outcomeStatus: String?
        @NullEncodable var returnPct: Double?
        @NullEncodable var pnlQuote: Double?
        @NullEncodable var hit: Bool?

        enum CodingKeys: String, CodingKey {
            case decisionId, timestamp, dueAt, tenantId, userId, exchange, symbol, decision, selected, dryRun
            case selectedScore, selectedScoreRules, selectedScoreMarket, selectedLiquidityState, rrEstimate
            case trendScore, momentumScore, atrPct, volume24hUsdt = "volume_24h_usdt", horizonMinutes
            case outcomeStatus, returnPct, pnlQuote, hit
        }
    }

    struct Answer: Content {
        let generatedAt: Date
        let hours: Int
        let windowFrom: Date
        let windowTo: Date
        let rows: [Row]
    }

    static func dataset(
        hours: Int, limit: Int, status: LearningQuery.StatusFilter, exchange: LearningQuery.ExchangeFilter, now: Date,
        on db: any Database
    ) async throws -> Answer {
        let pairs = try await LearningReports.decisions(
            hours: hours, limit: limit, exchange: exchange, status: status, outcomeRequired: false, now: now, on: db)
        let rows = pairs.map { decision, outcome in
            Row(
                decisionId: decision.id ?? UUID(), timestamp: decision.decisionAt, dueAt: outcome?.dueAt,
                tenantId: Backoffice.tenantID, userId: decision.$user.id, exchange: decision.exchange,
                symbol: decision.selectedSymbol, decision: decision.decision, selected: decision.selected,
                dryRun: decision.dryRun, selectedScore: decision.selectedScore, selectedScoreRules: nil,
                selectedScoreMarket: nil, selectedLiquidityState: nil, rrEstimate: decision.rrEstimate,
                trendScore: decision.trendScore, momentumScore: decision.momentumScore, atrPct: nil,
                volume24hUsdt: decision.volume24hUSDT, horizonMinutes: decision.targetHorizonMinutes,
                outcomeStatus: outcome?.status, returnPct: outcome?.returnPct, pnlQuote: outcome?.pnlQuote,
                hit: outcome?.hit)
        }
        return Answer(
            generatedAt: now, hours: hours, windowFrom: now.addingTimeInterval(-Double(hours) * 3600), windowTo: now,
            rows: rows)
    }

    struct SuggestionRow: Content {
        let decisionId: UUID
        let timestamp: Date
        let userEmail: String
        let exchange: String
        @NullEncodable var symbol: String?
        @NullEncodable var side: String?
        let selected: Bool
        let decision: String
        @NullEncodable var scoreBase: Double?
        @NullEncodable var scoreFinal: Double?
        @NullEncodable var learningProbHitPct: Double?
        @NullEncodable var learningSamples: Int?
        @NullEncodable var learningScore: Double?
        @NullEncodable var learningDeltaPoints: Double?
        @NullEncodable var outcomeStatus: String?
        @NullEncodable var hit: Bool?
        @NullEncodable var returnPct: Double?
        @NullEncodable var pnlQuote: Double?
        @NullEncodable var suggestionSuccess: Bool?
    }

    struct SuggestionReport: Content {
        let generatedAt: Date
        let hours: Int
        let windowFrom: Date
        let windowTo: Date
        let totalRows: Int
        /// How often a learning model's prediction matched the outcome; SignalDesk has no model, so
        /// there is nothing to score and this is null.
        @NullEncodable var successRatePct: Double?
        let rows: [SuggestionRow]
    }

    static func suggestionReport(
        hours: Int, limit: Int, exchange: LearningQuery.ExchangeFilter, status: LearningQuery.StatusFilter, now: Date,
        on db: any Database
    ) async throws -> SuggestionReport {
        let pairs = try await LearningReports.decisions(
            hours: hours, limit: limit, exchange: exchange, status: status, outcomeRequired: true, now: now, on: db)
        let userIDs = Array(Set(pairs.map { $0.decision.$user.id }))
        let users = try await User.query(on: db).filter(\.$id ~~ userIDs).all()
        let emails = Dictionary(
            users.compactMap { user in user.id.map { ($0, user.email) } }, uniquingKeysWith: { a, _ in a })
        let rows = pairs.map { decision, outcome in
            SuggestionRow(
                decisionId: decision.id ?? UUID(), timestamp: decision.decisionAt,
                userEmail: emails[decision.$user.id] ?? "unknown", exchange: decision.exchange,
                symbol: decision.selectedSymbol, side: decision.selectedSide, selected: decision.selected,
                decision: decision.decision, scoreBase: decision.selectedScore, scoreFinal: decision.selectedScore,
                learningProbHitPct: nil, learningSamples: nil, learningScore: nil, learningDeltaPoints: nil,
                outcomeStatus: outcome?.status, hit: outcome?.hit, returnPct: outcome?.returnPct,
                pnlQuote: outcome?.pnlQuote, suggestionSuccess: nil)
        }
        return SuggestionReport(
            generatedAt: now, hours: hours, windowFrom: now.addingTimeInterval(-Double(hours) * 3600), windowTo: now,
            totalRows: rows.count, successRatePct: nil, rows: rows)
    }
}
