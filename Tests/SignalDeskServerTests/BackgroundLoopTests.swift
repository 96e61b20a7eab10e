import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor

@testable import SignalDeskServer

/// A step that waits on something that never answers and ignores cancellation, as a database
/// call did after PostgreSQL restarted under load: the loop must go on, and stopping must end.
@Suite struct BackgroundLoopTests {
    final class Stuck: Sendable {
        private let held = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])
        func wait() async {
            await withCheckedContinuation { continuation in held.withLockedValue { $0.append(continuation) } }
        }
        func release() {
            held.withLockedValue { list in
                list.forEach { $0.resume() }; list.removeAll()
            }
        }
        /// How many waiters are still held.
        var waiting: Int { held.withLockedValue { $0.count } }
    }

    @Test(.timeLimit(.minutes(1)))
    func aStuckStepIsLeftBehindAndTheLoopGoesOn() async throws {
        let app = try await Application.make(.testing)
        let stuck = Stuck()
        let steps = NIOLockedValueBox(0)
        let loop = BackgroundLoop(name: "Test loop", interval: .milliseconds(10), stepDeadline: .milliseconds(200))
        loop.start(app: app, wakeup: nil) { _ in
            if steps.withLockedValue({
                $0 += 1; return $0
            }) == 1 {
                await stuck.wait()
            }
            return false
        }
        // Step 1 never finishes; after its deadline the loop runs the next ones.
        let deadline = ContinuousClock.now + .seconds(30)
        while steps.withLockedValue({ $0 }) < 5, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(steps.withLockedValue { $0 } >= 5, "the loop went on past the stuck step")
        #expect(stuck.waiting == 1, "step 1 is still stuck: the later steps ran beside it, not after it")
        let stopping = ContinuousClock.now
        await loop.stop(logger: app.logger, deadline: .now + .seconds(5))
        // Stopping does not wait for the abandoned step (it waits at most for the current one).
        #expect(ContinuousClock.now - stopping < .seconds(5), "stop returned before its deadline")
        #expect(stuck.waiting == 1)
        stuck.release()
        try await app.asyncShutdown()
    }

    @Test(.timeLimit(.minutes(1)))
    func stoppingGivesUpOnAStuckStepAtTheDeadline() async throws {
        let app = try await Application.make(.testing)
        let stuck = Stuck()
        let started = NIOLockedValueBox(false)
        let loop = BackgroundLoop(name: "Test loop", interval: .milliseconds(10), stepDeadline: .seconds(60))
        loop.start(app: app, wakeup: nil) { _ in
            started.withLockedValue { $0 = true }
            await stuck.wait()
            return false
        }
        while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let stopping = ContinuousClock.now
        await loop.stop(logger: app.logger, deadline: .now + .milliseconds(300))
        let waited = ContinuousClock.now - stopping
        #expect(waited >= .milliseconds(250), "stop waits for the current step until the deadline")
        // and no longer: the step is never released before stop returns (the time limit catches
        // a stop that waits for it; a wall-clock bound would flake on a busy machine).
        stuck.release()
        try await app.asyncShutdown()
    }

    @Test(.timeLimit(.minutes(1)))
    func stoppingWaitsForAStepThatFinishes() async throws {
        let app = try await Application.make(.testing)
        let finished = NIOLockedValueBox(false)
        let started = NIOLockedValueBox(false)
        let loop = BackgroundLoop(name: "Test loop", interval: .seconds(60))
        loop.start(app: app, wakeup: nil) { _ in
            started.withLockedValue { $0 = true }
            // Work that does not look at cancellation, like an order already sent to a venue.
            let until = ContinuousClock.now + .milliseconds(300)
            while ContinuousClock.now < until { await Task.yield() }
            finished.withLockedValue { $0 = true }
            return false
        }
        while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        await loop.stop(logger: app.logger, deadline: .now + .seconds(30))
        #expect(finished.withLockedValue { $0 }, "the in-flight step completed before stop returned")
        try await app.asyncShutdown()
    }

    /// Wakeups as fast as alerts bring prices: the step runs at most once per spacing, and the
    /// wakeups in between are not lost (a step follows them).
    @Test(.timeLimit(.minutes(1)))
    func wakeupsRunTheStepAtMostOncePerSpacing() async throws {
        let app = try await Application.make(.testing)
        let wakeup = SignalWakeup()
        let steps = NIOLockedValueBox(0)
        let loop = BackgroundLoop(name: "Test loop", interval: .seconds(60), minimumSpacing: .milliseconds(200))
        loop.start(app: app, wakeup: wakeup) { _ in
            steps.withLockedValue { $0 += 1 }
            return false
        }
        // The first step runs at start; then a storm of wakeups, one every 2 ms.
        while steps.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let before = steps.withLockedValue { $0 }
        let start = ContinuousClock.now
        while ContinuousClock.now < start + .milliseconds(700) {
            wakeup.signal()
            try await Task.sleep(for: .milliseconds(2))
        }
        let elapsed = ContinuousClock.now - start
        let during = steps.withLockedValue { $0 } - before
        // At most one step per 200 ms of the storm, plus one (without the spacing, every wakeup
        // would run one: hundreds).
        let allowed = Int(elapsed / .milliseconds(200)) + 1
        #expect(during <= allowed, "\(during) steps in \(elapsed), at most \(allowed) allowed")
        // A wakeup is not lost: one more, now, is followed by a step (after the spacing, if a step
        // has just run). (Waiting for a step after the storm's own last wakeup raced: on a slow
        // machine that step could run before `during` was read, and none followed.)
        let counted = steps.withLockedValue { $0 }
        wakeup.signal()
        let served = ContinuousClock.now + .seconds(30)
        while steps.withLockedValue({ $0 }) == counted, ContinuousClock.now < served {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(steps.withLockedValue { $0 } > counted, "a step after the last wakeup")
        await loop.stop(logger: app.logger, deadline: .now + .seconds(5))
        try await app.asyncShutdown()
    }

    @Test func outcomeReportsResultsErrorsAndOverdue() async {
        let quick = Task<Int, any Error> { 7 }
        guard case .finished(7) = await Deadline.outcome(of: quick, within: .seconds(30)) else {
            Issue.record("a finished task's value")
            return
        }
        struct Failure: Error {}
        let failing = Task<Int, any Error> { throw Failure() }
        guard case .failed(let error) = await Deadline.outcome(of: failing, within: .seconds(30)), error is Failure
        else {
            Issue.record("a failed task's error")
            return
        }
        let stuck = Stuck()
        let hanging = Task<Int, any Error> {
            await stuck.wait(); return 1
        }
        guard case .overdue = await Deadline.outcome(of: hanging, within: .milliseconds(50)) else {
            Issue.record("overdue")
            return
        }
        stuck.release()
    }

    /// The test suite's applications wait longer for their steps than a served one (see
    /// ``ShutdownDeadline``): a step given up on under the suite's load crashed a debug run.
    @Test func theTestSuiteWaitsLongerForStepsThanAServer() async throws {
        for (environment, budget) in [
            (Environment.testing, ShutdownDeadline.testingBudget), (.production, .seconds(6)),
        ] {
            let app = try await Application.make(environment)
            let before = ContinuousClock.now
            let deadline = app.shutdownDeadline
            #expect(deadline >= before + budget && deadline <= ContinuousClock.now + budget)
            // The first to ask starts it; later loops share it.
            #expect(app.shutdownDeadline == deadline)
            try await app.asyncShutdown()
        }
        #expect(ShutdownDeadline.testingBudget > ShutdownDeadline.budget)
    }
}
