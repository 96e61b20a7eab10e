import Foundation
import SignalDeskCore
import Testing

@Suite struct ExitTickTests {
    static func skip(
        _ policy: ExitTick.Policy, dryRun: Bool = false, closed: Int = 0, errors: Int = 0, tick: Bool = false,
        recently: Bool = false
    ) -> ExitTick.SkipReason? {
        ExitTick.skipReason(
            policy: policy, dryRun: dryRun, progress: .init(closed: closed, errors: errors), symbolClosedThisTick: tick,
            symbolClosedRecently: recently)
    }

    @Test func theBrakesInOrder() {
        let policy = ExitTick.Policy(
            paused: false, maxClosesPerTick: 2, symbolCooldownSeconds: 300, maxErrorsPerTick: 3)
        #expect(Self.skip(policy) == nil)
        #expect(Self.skip(policy, closed: 2) == .maxClosesReached)
        #expect(Self.skip(policy, closed: 2, errors: 3) == .maxErrorsReached)
        #expect(Self.skip(policy, tick: true) == .symbolCooldownTick)
        #expect(Self.skip(policy, recently: true) == .symbolCooldownWindow)
        var paused = policy
        paused.paused = true
        #expect(Self.skip(paused, closed: 5) == .paused)
        // Dry runs report everything but the error budget.
        #expect(Self.skip(paused, dryRun: true, closed: 5, tick: true, recently: true) == nil)
        #expect(Self.skip(paused, dryRun: true, errors: 3) == .maxErrorsReached)
        // 0 closes: no limit; 0 seconds: no cooldown window.
        let open = ExitTick.Policy(maxClosesPerTick: 0, symbolCooldownSeconds: 0)
        #expect(Self.skip(open, closed: 1_000, recently: true) == nil)
        #expect(ExitTick.Policy(maxErrorsPerTick: 0).maxErrorsPerTick == 1)
    }

    @Test func urgentReasonsAndOldPositionsGoFirst() {
        #expect(ExitTick.priority(of: ["take_profit_hit", "trend_break"]) == 3)
        #expect(ExitTick.priority(of: ["stop_loss_hit"]) == 0)
        #expect(ExitTick.priority(of: []) == 99)
        let candidates: [(String, [String], Double)] = [
            ("take", ["take_profit_hit"], 500), ("stop-new", ["stop_loss_hit"], 5), ("stop-old", ["stop_loss_hit"], 50),
            ("time", ["time_limit_reached"], 600), ("stop-new-2", ["stop_loss_hit"], 5),
        ]
        let ordered = ExitTick.order(candidates, reasons: { $0.1 }, openedMinutes: { $0.2 }).map(\.0)
        #expect(ordered == ["stop-old", "stop-new", "stop-new-2", "time", "take"])
    }
}
