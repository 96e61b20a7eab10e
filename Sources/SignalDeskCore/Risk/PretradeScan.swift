import Foundation

/// Scoring and ranking of a pretrade scan (issue 25, group 1): many candidates run through the
/// same ``PretradeCheck`` as one check, each given a score from 0 to 100, the passing ones first.
public enum PretradeScan {
    /// The most candidates one scan takes; more is refused (422).
    public static let maxCandidates = 500
    /// `top_n` bounds.
    public static let topNRange = 1...500

    /// What the caller says about a candidate's market beside the pretrade fields. Scores are
    /// clamped to -1...1, so a wild value moves the score no further than a strong one.
    public struct Market: Sendable, Equatable, Codable {
        public var trendScore: Double
        public var momentumScore: Double

        public init(trendScore: Double = 0, momentumScore: Double = 0) {
            self.trendScore = trendScore
            self.momentumScore = momentumScore
        }
    }

    /// The score of a candidate from its checks and what it proposes:
    /// - up to 60 points for the share of checks passed,
    /// - up to 20 for the reward/risk ratio (linear up to 3.0),
    /// - -10...10 for the market trend and -5...5 for momentum,
    /// - minus a cost penalty: 0.5 point per basis point of spread plus slippage, at most 20,
    /// then clamped to 0...100 and rounded to two decimals.
    public static func score(checks: [RuleCheck], proposal: PretradeCheck.Proposal, market: Market) -> Double {
        guard !checks.isEmpty else { return 0 }
        let passedShare = Double(checks.filter(\.passed).count) / Double(checks.count)
        var score = passedShare * 60
        score += clamp(finite(proposal.rewardRisk) / 3, 0, 1) * 20
        score += clamp(finite(market.trendScore), -1, 1) * 10
        score += clamp(finite(market.momentumScore), -1, 1) * 5
        let cost = max(0, finite(proposal.spreadBps)) + max(0, finite(proposal.slippageBps))
        score -= min(20, cost * 0.5)
        return (clamp(score, 0, 100) * 100).rounded() / 100
    }

    /// One evaluated candidate, as the ranking sees it.
    public struct Ranked<Payload: Sendable>: Sendable {
        public let passed: Bool
        public let score: Double
        public let payload: Payload

        public init(passed: Bool, score: Double, payload: Payload) {
            self.passed = passed
            self.score = score
            self.payload = payload
        }
    }

    /// Passing candidates first, then by score, highest first; ties keep the order the caller
    /// sent. Without `includeBlocked` only passing candidates remain; at most `topN`.
    public static func rank<Payload>(_ rows: [Ranked<Payload>], includeBlocked: Bool, topN: Int) -> [Ranked<Payload>] {
        let ordered = rows.enumerated().sorted { lhs, rhs in
            if lhs.element.passed != rhs.element.passed { return lhs.element.passed }
            if lhs.element.score != rhs.element.score { return lhs.element.score > rhs.element.score }
            return lhs.offset < rhs.offset
        }.map(\.element)
        let kept = includeBlocked ? ordered : ordered.filter(\.passed)
        return Array(kept.prefix(max(0, topN)))
    }

    private static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }

    private static func clamp(_ value: Double, _ low: Double, _ high: Double) -> Double {
        min(high, max(low, value))
    }
}
