import Foundation
import Vapor

/// A sliding-window rate limit per key, in memory: at most `limit` events per `window` seconds.
/// Each server instance counts its own traffic (documented in docs/api.md).
actor RateLimiter {
    let limit: Int
    let window: TimeInterval
    private var events: [String: [Date]] = [:]
    private var lastSweep = Date.distantPast

    init(limit: Int, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// Records an event for `key` when allowed; otherwise the seconds until one is.
    func attempt(_ key: String, now: Date = Date()) -> Int? {
        sweep(now: now)
        let since = now.addingTimeInterval(-window)
        var recent = (events[key] ?? []).filter { $0 > since }
        guard recent.count < limit else {
            events[key] = recent
            let waitUntil = recent[recent.count - limit].addingTimeInterval(window)
            return max(1, Int(waitUntil.timeIntervalSince(now).rounded(.up)))
        }
        recent.append(now)
        events[key] = recent
        return nil
    }

    /// Forgets keys with no event in the window, so memory follows active senders only.
    private func sweep(now: Date) {
        guard now.timeIntervalSince(lastSweep) > window else { return }
        lastSweep = now
        let since = now.addingTimeInterval(-window)
        events = events.filter { $0.value.contains { $0 > since } }
    }
}


extension Application {
    private struct WebhookRateKey: StorageKey {
        typealias Value = RateLimiter
    }

    /// Per webhook uuid, `WEBHOOK_RATE_PER_MINUTE` per 60 s.
    var webhookRateLimiter: RateLimiter {
        get {
            guard let value = storage[WebhookRateKey.self] else { fatalError("configure() installs the rate limiter") }
            return value
        }
        set { storage[WebhookRateKey.self] = newValue }
    }
}
