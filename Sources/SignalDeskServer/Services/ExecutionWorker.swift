import Fluent
import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Vapor

/// Turns accepted webhook signals into orders. Claims `CREATED` webhook signals atomically (so
/// several workers, in one process or many, never execute one signal twice), at most
/// WORKER_CONCURRENCY at a time; woken at once by an accepted alert in this process or, on
/// PostgreSQL, in any process (LISTEN/NOTIFY), and polling otherwise. Executes nothing while the
/// kill switch is engaged.
final class ExecutionWorker: LifecycleHandler, Sendable {
    let loop: BackgroundLoop
    private let running = NIOLockedValueBox(false)
    private let notifications = NIOLockedValueBox<(any SignalListener)?>(nil)

    init(pollInterval: Duration = .seconds(1)) {
        loop = BackgroundLoop(name: "Execution worker", interval: pollInterval)
    }

    var isRunning: Bool { running.withLockedValue { $0 } }

    func didBootAsync(_ application: Application) async throws {
        application.executionWorker = self
        running.withLockedValue { $0 = true }
        loop.start(app: application, wakeup: application.signalWakeup) { app in
            try await ExecutionWorker.runOnce(app: app)
        }
        let listener = application.stores.makeSignalListener()
        notifications.withLockedValue { $0 = listener }
        listener.start(app: application, wakeup: application.signalWakeup)
    }

    func shutdownAsync(_ application: Application) async {
        running.withLockedValue { $0 = false }
        await notifications.withLockedValue({ $0 })?.stop()
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }

    /// Claims and executes signals until none is waiting. True when there was work.
    ///
    /// A claim takes up to ``claimSize(concurrency:)`` waiting signals and splits them by user; up
    /// to WORKER_CONCURRENCY users' signals execute at once, each user's in their order with one
    /// locked decision for a run of opens (``SignalExecution/execute(userSignals:)``), so a
    /// burst of one user's alerts costs one lock and one commit, not one each. A slot that frees
    /// takes the next user's signals; when none is left the next claim refills the queue, so a
    /// slow venue holds only its own slot. A claim that finds fewer signals than it asked for
    /// ends the claiming; what runs then finishes, and the loop runs again when woken or polled.
    static func runOnce(app: Application) async throws -> Bool {
        let db = try app.database
        guard try await !app.killSwitch.state(on: db).enabled else { return false }
        let store = SignalClaims(app: app, db: db)
        _ = try await store.expireLeases()
        let slots = app.appConfig.workerConcurrency
        let claimSize = Self.claimSize(concurrency: slots)
        var claimed = try await store.claim(.worker, limit: claimSize)
        guard !claimed.isEmpty else { return false }
        var more = claimed.count == claimSize
        var queue = Self.byUser(claimed)
        // A step claims for at most this long, then lets what runs finish and returns (the loop
        // runs the next step at once): a step stays far below the loop's 60 s step deadline
        // however long a burst lasts.
        let claimUntil = ContinuousClock.now + Self.claimingWindow
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            while true {
                while running < slots, !queue.isEmpty {
                    let signals = queue.removeFirst()
                    group.addTask { await SignalExecution(app: app).execute(userSignals: signals) }
                    running += 1
                }
                // A stopping worker or an engaged kill switch claims no more.
                if queue.isEmpty, more, running < slots, ContinuousClock.now < claimUntil,
                    app.executionWorker?.isRunning ?? true,
                    try await !app.killSwitch.state(on: db).enabled
                {
                    claimed = try await store.claim(.worker, limit: claimSize)
                    more = claimed.count == claimSize
                    queue = Self.byUser(claimed)
                    if !queue.isEmpty { continue }
                }
                if running == 0 { break }
                _ = try await group.next()
                running -= 1
            }
        }
        return true
    }

    /// How long one step goes on claiming (``runOnce(app:)``).
    static let claimingWindow: Duration = .seconds(10)

    /// How many signals one claim takes: enough that a bar-close burst's alerts of one user meet
    /// in one claim, bounded so a claim's leases (SIGNAL_LEASE_SECONDS) outlast its execution.
    static func claimSize(concurrency: Int) -> Int { min(1024, concurrency * 256) }

    /// `signals` (in claim order: oldest first) split by user, each user's in their order, users
    /// in the order of their oldest signal.
    static func byUser(_ signals: [Signal]) -> [[Signal]] {
        var order: [UUID] = []
        var groups: [UUID: [Signal]] = [:]
        for signal in signals {
            let userID = signal.$user.id
            if groups[userID] == nil { order.append(userID) }
            groups[userID, default: []].append(signal)
        }
        return order.map { groups[$0] ?? [] }
    }
}

extension Application {
    private struct WorkerKey: StorageKey {
        typealias Value = ExecutionWorker
    }

    /// The execution worker of this process, once it runs.
    var executionWorker: ExecutionWorker? {
        get { storage[WorkerKey.self] }
        set { storage[WorkerKey.self] = newValue }
    }
}
