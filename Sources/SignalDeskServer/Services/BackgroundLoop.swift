import NIOConcurrencyHelpers
import Vapor

/// One loop of an application's background work: runs a step, then waits for the interval or a
/// wakeup (at once when the step reports more work), until stopped. Stopping waits for the loop to
/// finish, because the database shuts down right after the lifecycle handlers.
final class BackgroundLoop: Sendable {
    let name: String
    let interval: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let wakeup = NIOLockedValueBox<SignalWakeup?>(nil)

    init(name: String, interval: Duration) {
        self.name = name
        self.interval = interval
    }

    /// Starts the loop. `step` returns true when there is more work to do right away.
    func start(app: Application, wakeup: SignalWakeup?, step: @escaping @Sendable (Application) async throws -> Bool) {
        self.wakeup.withLockedValue { $0 = wakeup }
        let (name, interval) = (self.name, self.interval)
        let started = Task { [weak app] in
            while !Task.isCancelled {
                guard let app else { return }
                var more = false
                do {
                    more = try await step(app)
                } catch {
                    app.logger.warning("\(name) failed: \(String(reflecting: error))")
                }
                if more { continue }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await Task.sleep(for: interval) }
                    if let wakeup { group.addTask { await wakeup.wait() } }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        task.withLockedValue { $0 = started }
    }

    func stop() async {
        let current = task.withLockedValue { $0 }
        current?.cancel()
        wakeup.withLockedValue { $0 }?.signal()
        await current?.value
    }
}
