import Fluent
import Foundation

/// A decision SignalDesk made that its learning pipeline follows (issue 25, group 13): one per
/// auto-pick, with what the pick saw. `id` is crypto-saas's `decision_id`.
final class LearningDecision: Model, @unchecked Sendable {
    static let schema = "learning_decisions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "exchange") var exchange: String
    @Field(key: "decision_ts") var decisionAt: Date
    @Field(key: "target_horizon_minutes") var targetHorizonMinutes: Int
    @Field(key: "dry_run") var dryRun: Bool
    @Field(key: "selected") var selected: Bool
    @Field(key: "decision") var decision: String
    @OptionalField(key: "selected_symbol") var selectedSymbol: String?
    @OptionalField(key: "selected_side") var selectedSide: String?
    @OptionalField(key: "selected_qty") var selectedQty: Double?
    @OptionalField(key: "selected_score") var selectedScore: Double?
    @OptionalField(key: "top_candidate_symbol") var topCandidateSymbol: String?
    @OptionalField(key: "top_candidate_score") var topCandidateScore: Double?
    @OptionalField(key: "avg_score") var avgScore: Double?
    @Field(key: "scanned_assets") var scannedAssets: Int
    @OptionalField(key: "rr_estimate") var rrEstimate: Double?
    @OptionalField(key: "trend_score") var trendScore: Double?
    @OptionalField(key: "momentum_score") var momentumScore: Double?
    @OptionalField(key: "volume_24h_usdt") var volume24hUSDT: Double?
    @OptionalField(key: "spread_bps") var spreadBps: Double?
    @OptionalField(key: "slippage_bps") var slippageBps: Double?
    @OptionalField(key: "entry_price") var entryPrice: Double?
    @OptionalField(key: "top_failed_checks") var topFailedChecks: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// What a ``LearningDecision`` turned out to be (`pending`, `labeled`, `expired`, `no_price`):
/// one per decision that named a symbol, due `horizon_minutes` after it.
final class LearningOutcomeRow: Model, @unchecked Sendable {
    static let schema = "learning_outcomes"

    @ID(key: .id) var id: UUID?
    @Parent(key: "decision_id") var decision: LearningDecision
    @Parent(key: "user_id") var user: User
    @Field(key: "exchange") var exchange: String
    @Field(key: "symbol") var symbol: String
    @Field(key: "side") var side: String
    @Field(key: "qty") var qty: Double
    @Field(key: "decision_ts") var decisionAt: Date
    @Field(key: "due_at") var dueAt: Date
    @Field(key: "horizon_minutes") var horizonMinutes: Int
    @Field(key: "outcome_status") var status: String
    @OptionalField(key: "labeled_at") var labeledAt: Date?
    @OptionalField(key: "entry_price") var entryPrice: Double?
    @OptionalField(key: "exit_price") var exitPrice: Double?
    @OptionalField(key: "price_source") var priceSource: String?
    @OptionalField(key: "return_pct") var returnPct: Double?
    @OptionalField(key: "pnl_quote") var pnlQuote: Double?
    @OptionalField(key: "hit") var hit: Bool?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// One hour's aggregate of labeled outcomes per exchange, symbol and horizon.
final class LearningRollupHour: Model, @unchecked Sendable {
    static let schema = "learning_rollup_hourly"

    @ID(key: .id) var id: UUID?
    @Field(key: "bucket_hour") var bucketHour: Date
    @Field(key: "exchange") var exchange: String
    @Field(key: "symbol") var symbol: String
    @Field(key: "horizon_minutes") var horizonMinutes: Int
    @Field(key: "samples") var samples: Int
    @Field(key: "hit_rate_pct") var hitRatePct: Double
    @Field(key: "avg_return_pct") var avgReturnPct: Double
    @Field(key: "p50_return_pct") var p50ReturnPct: Double
    @Field(key: "p90_return_pct") var p90ReturnPct: Double
    @OptionalField(key: "avg_score") var avgScore: Double?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
