import Foundation
import SignalDeskCore
import Testing

@Suite struct PretradeScanTests {
    static func checks(passed: Int, of total: Int) -> [RuleCheck] {
        (0..<total).map { RuleCheck(name: "c\($0)", passed: $0 < passed, detail: "") }
    }

    @Test func theScoreAddsItsParts() {
        // All checks passed (60), rr 1.5 (10), trend 0.5 (5), momentum 0.4 (2), cost 6+9 bps (-7.5).
        let proposal = PretradeCheck.Proposal(rewardRisk: 1.5, spreadBps: 6, slippageBps: 9)
        let score = PretradeScan.score(
            checks: Self.checks(passed: 13, of: 13), proposal: proposal,
            market: .init(trendScore: 0.5, momentumScore: 0.4))
        #expect(score == 69.5)
        // Half the checks: 30 instead of 60.
        #expect(
            PretradeScan.score(
                checks: Self.checks(passed: 5, of: 10), proposal: proposal,
                market: .init(trendScore: 0.5, momentumScore: 0.4)) == 39.5)
    }

    @Test func theScoreStaysWithinZeroAndAHundred() {
        let wild = PretradeCheck.Proposal(rewardRisk: 1e9, spreadBps: -5, slippageBps: 0)
        #expect(
            PretradeScan.score(
                checks: Self.checks(passed: 3, of: 3), proposal: wild, market: .init(trendScore: 50, momentumScore: 9))
                == 95)
        let awful = PretradeCheck.Proposal(rewardRisk: -3, spreadBps: 1e6, slippageBps: 1e6)
        #expect(
            PretradeScan.score(
                checks: Self.checks(passed: 0, of: 3), proposal: awful, market: .init(trendScore: -9, momentumScore: -9)
            )
                == 0)
        let nan = PretradeCheck.Proposal(rewardRisk: .nan, spreadBps: .infinity, slippageBps: .nan)
        #expect(
            PretradeScan.score(
                checks: Self.checks(passed: 1, of: 1), proposal: nan, market: .init(trendScore: .nan)) == 60)
        #expect(PretradeScan.score(checks: [], proposal: .init(), market: .init()) == 0)
    }

    @Test func rankingPutsPassingFirstThenScoreThenTheCallersOrder() {
        let rows: [PretradeScan.Ranked<String>] = [
            .init(passed: false, score: 90, payload: "blocked-high"),
            .init(passed: true, score: 50, payload: "low"),
            .init(passed: true, score: 70, payload: "high"),
            .init(passed: true, score: 50, payload: "low-later"),
            .init(passed: false, score: 10, payload: "blocked-low"),
        ]
        #expect(
            PretradeScan.rank(rows, includeBlocked: true, topN: 10).map(\.payload) == [
                "high", "low", "low-later", "blocked-high", "blocked-low",
            ])
        #expect(
            PretradeScan.rank(rows, includeBlocked: false, topN: 10).map(\.payload) == ["high", "low", "low-later"])
        #expect(PretradeScan.rank(rows, includeBlocked: true, topN: 2).map(\.payload) == ["high", "low"])
        #expect(PretradeScan.rank(rows, includeBlocked: true, topN: 0).isEmpty)
    }
}
