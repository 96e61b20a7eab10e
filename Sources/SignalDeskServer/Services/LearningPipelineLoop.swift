import NIOConcurrencyHelpers
import Vapor

/// The learning pipeline on a timer in `serve` (issue 25, group 13; LEARNING_PIPELINE_ENABLED):
/// every LEARNING_LABEL_INTERVAL_MINUTES it labels the due outcomes (as `POST
/// /ops/admin/learning/label?dry_run=false` does), and every LEARNING_ROLLUP_INTERVAL_MINUTES it
/// refreshes the last 48 hours' rollups, as crypto-saas's scheduler does. Runs write no audit row
/// (crypto-saas's write none either); an admin's runs through the endpoints are audited.
final class LearningPipelineLoop: LifecycleHandler, Sendable {
    let loop: BackgroundLoop
    let rollupInterval: TimeInterval
    private let lastRollup = NIOLockedValueBox<Date?>(nil)

    /// How many due outcomes one run labels at most, and the rollup's window (crypto-saas's).
    static let labelLimit = 500
    static let rollupHours = 48

    init(labelIntervalMinutes: Int, rollupIntervalMinutes: Int) {
        loop = BackgroundLoop(name: "Learning pipeline", interval: .seconds(labelIntervalMinutes * 60))
        rollupInterval = Double(rollupIntervalMinutes) * 60
    }

    func didBootAsync(_ application: Application) async throws {
        loop.start(app: application, wakeup: nil) { app in
            try await self.step(app: app)
            return false
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }

    /// One run: labels, and refreshes the rollups when the last refresh (by this process) is at
    /// least the rollup interval old. Returns what it did.
    @discardableResult
    func step(app: Application) async throws -> (
        label: LearningPipeline.LabelRun, rollup: LearningPipeline.RollupRun?
    ) {
        let db = try app.database
        let now = app.wallClock.now()
        let label = try await LearningPipeline.label(
            horizon: nil, limit: Self.labelLimit, dryRun: false, now: now, prices: app.marketPrices,
            transactions: app.stores.transactions, on: db)
        if label.labeled + label.expired > 0 {
            app.logger.info("Learning outcomes: \(label.labeled) labeled, \(label.expired) expired")
        }
        let due = lastRollup.withLockedValue { last in last.map { now.timeIntervalSince($0) >= rollupInterval } ?? true
        }
        guard due else { return (label, nil) }
        let rollup = try await LearningPipeline.refreshRollup(
            hours: Self.rollupHours, dryRun: false, now: now, transactions: app.stores.transactions, on: db)
        lastRollup.withLockedValue { $0 = now }
        return (label, rollup)
    }
}
