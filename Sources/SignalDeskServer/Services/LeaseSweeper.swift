import Vapor

/// Applies signal lease expiry on a timer, so an abandoned claim returns to `CREATED` (or becomes
/// `EXPIRED`) even when nobody claims again. Runs in `serve`; cheap: two guarded UPDATEs.
final class LeaseSweeper: LifecycleHandler, Sendable {
    let loop: BackgroundLoop

    init(interval: Duration = .seconds(15)) {
        loop = BackgroundLoop(name: "Signal lease sweep", interval: interval)
    }

    func didBootAsync(_ application: Application) async throws {
        loop.start(app: application, wakeup: nil) { app in
            let (returned, expired) = try await SignalClaims(app: app, db: try app.database).expireLeases()
            if returned + expired > 0 {
                app.logger.info("Signal leases: \(returned) returned to CREATED, \(expired) expired")
            }
            return false
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }
}
