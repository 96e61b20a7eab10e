import Foundation
import SignalDeskCore
import Testing

@Suite struct LoginThrottleTests {
    let throttle = LoginThrottle()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func failures(_ minutesAgo: [Double]) -> [LoginThrottle.Attempt] {
        minutesAgo.map { .init(at: now.addingTimeInterval(-$0 * 60), succeeded: false) }
    }

    @Test func fourFailuresStillAllowed() {
        #expect(throttle.retryAfter(attempts: failures([1, 2, 3, 4]), now: now) == nil)
    }

    @Test func fifthFailureLocksUntilTheOldestLeavesTheWindow() {
        // Oldest of the five failed 10 minutes ago: 5 minutes (300 s) remain.
        #expect(throttle.retryAfter(attempts: failures([10, 8, 6, 4, 2]), now: now) == 300)
    }

    @Test func failuresOutsideTheWindowDoNotCount() {
        #expect(throttle.retryAfter(attempts: failures([16, 20, 4, 3, 2, 1]), now: now) == nil)
        #expect(throttle.retryAfter(attempts: failures([15, 4, 3, 2, 1]), now: now) == nil)
    }

    @Test func withSixFailuresTheLockFollowsTheFifthMostRecent() {
        #expect(throttle.retryAfter(attempts: failures([14, 12, 8, 6, 4, 2]), now: now) == 3 * 60)
    }

    @Test func successBeforeTheLimitResetsTheCount() {
        var attempts = failures([12, 11, 10, 9, 2])
        attempts.append(.init(at: now.addingTimeInterval(-5 * 60), succeeded: true))
        #expect(throttle.retryAfter(attempts: attempts, now: now) == nil)
    }
}
