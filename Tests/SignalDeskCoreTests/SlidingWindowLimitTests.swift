import SignalDeskCore
import Testing

@Suite struct SlidingWindowLimitTests {
    @Test func allowsLimitEventsPerWindowThenTellsTheWait() {
        var limit = SlidingWindowLimit(limit: 3, window: 60)
        #expect(limit.attempt(now: 0) == nil)
        #expect(limit.attempt(now: 10) == nil)
        #expect(limit.attempt(now: 20) == nil)
        // The fourth waits for the first (t=0) to leave the window at t=60.
        #expect(limit.attempt(now: 30) == 30)
        #expect(limit.attempt(now: 59.5) == 1)
        #expect(limit.count == 3)
        // At exactly t=60 the first event is out: an event at t - window no longer counts.
        #expect(limit.attempt(now: 60) == nil)
        #expect(limit.attempt(now: 61) == 9)
    }

    @Test func refusedAttemptsDoNotCount() {
        var limit = SlidingWindowLimit(limit: 1, window: 60)
        #expect(limit.attempt(now: 0) == nil)
        for second in 1..<60 { #expect(limit.attempt(now: Double(second)) != nil) }
        #expect(limit.attempt(now: 60) == nil)
    }

    @Test func memoryStaysWithinTheLimitUnderSustainedTraffic() {
        // One event offered per tick, 100 allowed per 150 ticks, for 1,000 windows.
        var limit = SlidingWindowLimit(limit: 100, window: 150)
        var refused = 0
        var largest = 0
        for tick in 0..<150_000 {
            if limit.attempt(now: Double(tick)) != nil { refused += 1 }
            largest = max(largest, limit.count)
        }
        #expect(refused == 50_000)
        #expect(largest == 100)
    }

    @Test func idleOnceTheLastEventLeavesTheWindow() {
        var limit = SlidingWindowLimit(limit: 5, window: 60)
        #expect(limit.isIdle(now: 0))
        _ = limit.attempt(now: 100)
        #expect(!limit.isIdle(now: 159))
        #expect(limit.isIdle(now: 160))
    }

    @Test func aZeroLimitRefusesEverything() {
        var limit = SlidingWindowLimit(limit: 0, window: 60)
        #expect(limit.attempt(now: 0) == 60)
        #expect(limit.count == 0)
    }
}
