import Foundation
import SignalDeskCore
import Testing

@Suite struct AutoPickTests {
    @Test func directionsAdmitTheirSides() {
        #expect(AutoPick.Direction(parsing: " long ") == .long)
        #expect(AutoPick.Direction(parsing: "SELL") == .short)
        #expect(AutoPick.Direction(parsing: "both") == .both)
        #expect(AutoPick.Direction(parsing: "sideways") == nil)
        #expect(AutoPick.Direction.long.admits(.long) && !AutoPick.Direction.long.admits(.short))
        #expect(AutoPick.Direction.short.admits(.short) && !AutoPick.Direction.short.admits(.long))
        #expect(AutoPick.Direction.both.admits(.long) && AutoPick.Direction.both.admits(.short))
    }

    @Test func thePickIsTheFirstThatPassed() {
        #expect(AutoPick.pick(passed: [false, true, true]) == 1)
        #expect(AutoPick.pick(passed: [false, false]) == nil)
        #expect(AutoPick.pick(passed: []) == nil)
    }

    @Test func decisionsSayWhatHappened() {
        #expect(
            AutoPick.Decision.allCases.map(\.executionStatus) == ["dry_run", "executed", "not_executed", "failed"])
        #expect(AutoPick.Decision.allCases.filter(\.bought) == [.executedTestOrder])
    }

    @Test func reasonsNameTheFailedChecks() {
        #expect(
            AutoPick.reason(decision: "executed_test_order", selected: true, topFailedChecks: ["x"])
                == "executed_test_order")
        #expect(
            AutoPick.reason(decision: "no_candidate_passed", selected: false, topFailedChecks: ["a", "b", "c", "d"])
                == "no_compra: a, b, c")
        #expect(
            AutoPick.reason(decision: "no_candidate_passed", selected: false, topFailedChecks: [])
                == "no_compra: sin candidato aprobado")
    }

    @Test func bucketsStartOnTheInterval() {
        let date = ISO8601DateFormatter().date(from: "2026-12-03T10:47:31Z")!
        #expect(AutoPick.bucket(date, intervalMinutes: 5) == ISO8601DateFormatter().date(from: "2026-12-03T10:45:00Z"))
        #expect(AutoPick.bucket(date, intervalMinutes: 60) == ISO8601DateFormatter().date(from: "2026-12-03T10:00:00Z"))
        #expect(AutoPick.bucket(date, intervalMinutes: 0) == ISO8601DateFormatter().date(from: "2026-12-03T10:47:00Z"))
    }
}
