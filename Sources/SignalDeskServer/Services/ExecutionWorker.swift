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

    /// Claims and executes one batch. True when there was work.
    static func runOnce(app: Application) async throws -> Bool {
        guard try await !app.killSwitch.state(on: app.db).enabled else { return false }
        let store = SignalClaims(app: app, db: app.db)
        _ = try await store.expireLeases()
        let claimed = try await store.claim(.worker, limit: app.appConfig.workerConcurrency)
        guard !claimed.isEmpty else { return false }
        await withTaskGroup(of: Void.self) { group in
            for signal in claimed {
                group.addTask { await SignalExecution(app: app).execute(signal) }
            }
        }
        return true
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
