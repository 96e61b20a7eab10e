import NIOConcurrencyHelpers
import Vapor

/// Applies signal lease expiry on a timer, so an abandoned claim returns to `CREATED` (or becomes
/// `EXPIRED`) even when nobody claims again. Runs in `serve`; cheap: two guarded UPDATEs.
final class LeaseSweeper: LifecycleHandler, Sendable {
    let interval: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(interval: Duration = .seconds(15)) {
        self.interval = interval
    }

    func didBootAsync(_ application: Application) async throws {
        let interval = self.interval
        let started = Task { [weak application] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                guard let application else { return }
                do {
                    let (returned, expired) = try await SignalStore(app: application, db: application.db).expireLeases()
                    if returned + expired > 0 {
                        application.logger.info("Signal leases: \(returned) returned to CREATED, \(expired) expired")
                    }
                } catch {
                    application.logger.warning("Signal lease sweep failed: \(String(reflecting: error))")
                }
            }
        }
        task.withLockedValue { $0 = started }
    }

    func shutdownAsync(_ application: Application) async {
        // Wait for the loop to stop: the database shuts down right after this.
        let current = task.withLockedValue { $0 }
        current?.cancel()
        await current?.value
    }
}
