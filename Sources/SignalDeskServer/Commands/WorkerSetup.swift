import Vapor

/// Prepares a `worker` run, as ``prepareForServing(_:)`` does for `serve`: migrations when
/// AUTO_MIGRATE is on, then the background loops. It must run before the application boots: Vapor
/// boots before it runs the command, and a lifecycle handler registered after the boot never starts.
/// The execution worker always runs here (WORKER_ENABLED only concerns `serve`).
public func prepareForWorking(_ app: Application) async throws {
    if app.appConfig.autoMigrate {
        try await app.autoMigrate()
    }
    app.lifecycle.use(LeaseSweeper())
    app.lifecycle.use(AuditSealer())
    app.lifecycle.use(TelegramSender())
    app.lifecycle.use(PositionMonitor())
    app.lifecycle.use(SubscriptionSweep())
    app.lifecycle.use(ExecutionWorker())
}
