import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Who may open positions while SUBSCRIPTION_REQUIRED is on, and the messages about it (issue 24,
/// docs/subscriptions.md). Read inside the open's locked step, so a subscription that ends while
/// alerts wait stops the ones decided after its end.
struct SubscriptionGate {
    let app: Application

    var required: Bool { app.appConfig.subscriptionRequired }
    var calendar: TradingCalendar { TradingCalendar(timeZone: app.appConfig.tradingDayTimeZone) }

    /// The reason a refused open gets.
    static let reason = "subscription_inactive"

    /// Whether `userID` may open at `now`, read on `tx`: always when subscriptions are not
    /// required.
    func allowsOpens(userID: UUID, now: Date, on tx: any Database) async throws -> Bool {
        guard required else { return true }
        return try await SubscriptionStore().terms(userID: userID, on: tx).allowsTrading(at: now)
    }

    /// Queues on `tx` the notice that alerts for `symbols` were refused, unless `userID` already got
    /// a subscription message on `now`'s trading day. True when it was queued.
    @discardableResult
    func noticeRefused(userID: UUID, symbols: [String], now: Date, on tx: any Database) async throws -> Bool {
        let day = calendar.day(of: now)
        guard
            try await SubscriptionStore().recordNotice(
                userID: userID, key: "refused-\(day)", day: day, now: now, on: tx)
        else { return false }
        var seen = Set<String>()
        let unique = symbols.filter { seen.insert($0).inserted }
        try await OutboxMessage(userID: userID, text: NotificationText.subscriptionRefused(symbols: unique), now: now)
            .create(on: tx)
        return true
    }

    /// One pass of the subscription sweep: marks ended periods `expired`, then queues each due
    /// reminder (7 days and 1 day before the end) once per period end and level, at most one
    /// subscription message per user and day. Returns (expired, reminded).
    func sweep(now: Date) async throws -> (expired: Int, reminded: Int) {
        let store = SubscriptionStore()
        let db = try app.database
        let expired = try await app.stores.transactions.writing { try await store.expireEnded(now: now, on: db) }
        var reminded = 0
        for subscription in try await store.ending(within: 7 * 86_400, now: now, on: db) {
            guard let periodEnd = subscription.currentPeriodEnd,
                let reminder = subscription.terms.reminder(at: now)
            else { continue }
            let userID = subscription.$user.id
            let plan = subscription.plan
            let day = calendar.day(of: now)
            let queued = try await app.stores.transactions.run(on: db) { tx in
                guard
                    try await store.recordNotice(
                        userID: userID, key: reminder.key(periodEnd: periodEnd), day: day, now: now, on: tx)
                else { return false }
                try await OutboxMessage(
                    userID: userID,
                    text: NotificationText.subscriptionEnding(reminder, plan: plan, periodEnd: periodEnd), now: now
                ).create(on: tx)
                return true
            }
            if queued { reminded += 1 }
        }
        if reminded > 0 { app.outboxWakeup?.signal() }
        return (expired, reminded)
    }
}

/// The subscription sweep inside `serve` and `signaldesk worker`: every hour (and at start-up)
/// ``SubscriptionGate/sweep(now:)``.
final class SubscriptionSweep: LifecycleHandler, Sendable {
    let loop: BackgroundLoop

    init(interval: Duration = .seconds(3600)) {
        loop = BackgroundLoop(name: "Subscription sweep", interval: interval)
    }

    func didBootAsync(_ application: Application) async throws {
        loop.start(app: application, wakeup: nil) { app in
            _ = try await SubscriptionGate(app: app).sweep(now: app.wallClock.now())
            return false
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }
}
