import NIOConcurrencyHelpers
import Vapor

/// One loop of an application's background work: runs a step, then waits for the interval or a
/// wakeup (at once when the step reports more work), until stopped. Stopping waits for the loop to
/// finish, because the database shuts down right after the lifecycle handlers.
///
/// `minimumSpacing` bounds how often wakeups can run the step: a loop woken by every incoming price
/// (the position monitor) would otherwise sweep back to back under load, one database query after
/// another, competing with the requests that bring the prices. Wakeups that arrive meanwhile are
/// not lost: the step after the spacing sees all of them.
///
/// A loop whose work has other ways to arrive than its wakeup (the audit sealer: rows written by any
/// request or process) can back off while idle: a step that reports ``Pace/idle`` (it found
/// nothing to do) makes each following wait twice as long, from `interval` up to `idleInterval`;
/// a step that found work, or a wakeup, returns to `interval`. An idle server then does next to
/// nothing instead of asking the database the same question every second.
///
/// Two deadlines keep one stuck await from stopping the loop or the process. A step that has not
/// finished after `stepDeadline` is cancelled and left behind, and the loop goes on with the next
/// step (claims, leases and unique client order ids make a late finish of the abandoned step
/// harmless, as with a second worker). Stopping waits for the current step only until the
/// application's shutdown deadline (``ShutdownDeadline``), then gives up on it with a warning.
/// Both were seen to matter: after PostgreSQL was stopped and started under load, a step could
/// wait forever on a database call that never completed (docs/benchmarks.md, chaos).
final class BackgroundLoop: Sendable {
    let name: String
    let interval: Duration
    /// The longest wait after steps that found nothing to do (``Pace/idle``).
    let idleInterval: Duration
    let stepDeadline: Duration
    let minimumSpacing: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let wakeup = NIOLockedValueBox<SignalWakeup?>(nil)

    static let minimumStopWait: Duration = .milliseconds(250)

    /// What a step found, which sets the loop's next wait.
    enum Pace: Sendable, Equatable {
        /// More work is waiting: the next step runs at once.
        case again
        /// The step did work and none is left: the next runs after `interval` or on a wakeup.
        case worked
        /// The step found nothing to do: the next runs after a wait that doubles with each such
        /// step, from `interval` up to `idleInterval`, or on a wakeup.
        case idle
    }

    init(
        name: String, interval: Duration, idleInterval: Duration? = nil, stepDeadline: Duration = .seconds(60),
        minimumSpacing: Duration = .zero
    ) {
        self.name = name
        self.interval = interval
        self.idleInterval = max(interval, idleInterval ?? interval)
        self.stepDeadline = stepDeadline
        self.minimumSpacing = minimumSpacing
    }

    /// Starts the loop. `step` returns true when there is more work to do right away (``Pace/again``;
    /// false is ``Pace/worked``: the loop never backs off).
    func start(app: Application, wakeup: SignalWakeup?, step: @escaping @Sendable (Application) async throws -> Bool) {
        start(app: app, wakeup: wakeup, paced: { try await step($0) ? .again : .worked })
    }

    /// Starts the loop. `paced` tells what it found (``Pace``); a step that fails counts as
    /// ``Pace/worked``.
    func start(
        app: Application, wakeup: SignalWakeup?, paced step: @escaping @Sendable (Application) async throws -> Pace
    ) {
        self.wakeup.withLockedValue { $0 = wakeup }
        let (name, interval, deadline, spacing) = (self.name, self.interval, self.stepDeadline, self.minimumSpacing)
        let idleInterval = self.idleInterval
        let logger = app.logger
        let started = Task { [weak app] in
            var lastStart: ContinuousClock.Instant?
            // The wait after the next step that finds nothing.
            var idleWait = interval
            while !Task.isCancelled {
                if let lastStart, spacing > .zero, ContinuousClock.now < lastStart + spacing {
                    try? await Task.sleep(until: lastStart + spacing)
                    if Task.isCancelled { return }
                }
                lastStart = .now
                guard let app else { return }
                var pace = Pace.worked
                // The step runs as a task of its own so that the loop can leave it behind; stopping
                // the loop cancels it as before.
                let current = Task { try await step(app) }
                let outcome = await withTaskCancellationHandler {
                    await Deadline.outcome(of: current, within: deadline)
                } onCancel: {
                    current.cancel()
                }
                switch outcome {
                case .finished(let result): pace = result
                case .failed(let error): logger.warning("\(name) failed: \(String(reflecting: error))")
                case .overdue:
                    current.cancel()
                    logger.error("\(name): a step did not finish within \(deadline); it was cancelled and left behind")
                }
                let wait: Duration
                switch pace {
                case .again:
                    idleWait = interval
                    continue
                case .worked:
                    idleWait = interval
                    wait = interval
                case .idle:
                    wait = idleWait
                    idleWait = min(idleInterval, idleWait * 2)
                }
                let woken = await withTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try? await Task.sleep(for: wait)
                        return false
                    }
                    if let wakeup {
                        group.addTask {
                            await wakeup.wait()
                            return true
                        }
                    }
                    let first = await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                // Something arrived: back to the short interval.
                if woken { idleWait = interval }
            }
        }
        task.withLockedValue { $0 = started }
    }

    /// Cancels the loop and waits for its current step to finish, until `deadline` at the latest
    /// (but always a moment: a loop stopped after another one used up the shared deadline still
    /// gets the time to finish a step that was about to).
    func stop(logger: Logger, deadline: ContinuousClock.Instant = .now + .seconds(5)) async {
        guard let current = task.withLockedValue({ $0 }) else { return }
        logger.notice("Stopping \(name)")
        current.cancel()
        wakeup.withLockedValue { $0 }?.signal()
        let waiting = Task<Void, any Error> { await current.value }
        switch await Deadline.outcome(of: waiting, within: max(Self.minimumStopWait, deadline - .now)) {
        case .finished, .failed: logger.notice("Stopped \(name)")
        case .overdue: logger.warning("\(name) did not stop before the shutdown deadline; leaving its last step behind")
        }
    }
}

/// One deadline for every background loop of a shutdown: the first to ask starts it (the HTTP
/// drain, ``HTTPServerDrain``, when serving; else the first loop to stop), so the whole shutdown
/// waits at most this long for requests and stuck steps, however many loops there are.
///
/// The test suite (Vapor's `.testing` environment) waits longer, ``testingBudget``: there dozens of
/// applications share two cores, a healthy step can take longer than 6 s, and a step given up on
/// keeps its SQLite connection past the thread pool's shutdown, so the connection cannot close and
/// a debug build stops the whole test process (sqlite-nio asserts that every connection was
/// closed; seen once in `.ci/run`). A stuck step still ends the wait, only later.
final class ShutdownDeadline: Sendable {
    static let budget: Duration = .seconds(6)
    static let testingBudget: Duration = .seconds(60)
    let budget: Duration
    private let instant = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    init(budget: Duration = ShutdownDeadline.budget) {
        self.budget = budget
    }

    var value: ContinuousClock.Instant {
        instant.withLockedValue { current in
            if let current { return current }
            let started = ContinuousClock.now + budget
            current = started
            return started
        }
    }
}

extension Application {
    private struct ShutdownDeadlineKey: StorageKey {
        typealias Value = ShutdownDeadline
    }

    /// The instant by which the HTTP drain and the background loops must have finished (set by the
    /// first to ask).
    var shutdownDeadline: ContinuousClock.Instant {
        if let existing = storage[ShutdownDeadlineKey.self] { return existing.value }
        let created = ShutdownDeadline(
            budget: environment == .testing ? ShutdownDeadline.testingBudget : ShutdownDeadline.budget)
        storage[ShutdownDeadlineKey.self] = created
        return created.value
    }
}
