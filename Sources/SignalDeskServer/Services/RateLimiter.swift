import Foundation
import SignalDeskCore
import Vapor

/// A sliding-window rate limit per key, in memory: at most `limit` events per `window` seconds.
/// Each server instance counts its own traffic (documented in docs/api.md).
actor RateLimiter {
    let limit: Int
    let window: TimeInterval
    private var senders: [String: SlidingWindowLimit] = [:]
    private var lastSweep = Date.distantPast

    init(limit: Int, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// Records an event for `key` when allowed; otherwise the seconds until one is.
    func attempt(_ key: String, now: Date) -> Int? {
        sweep(now: now)
        return senders[key, default: SlidingWindowLimit(limit: limit, window: window)]
            .attempt(now: now.timeIntervalSinceReferenceDate)
    }

    /// Forgets keys with no event in the window, so memory follows active senders only.
    private func sweep(now: Date) {
        guard now.timeIntervalSince(lastSweep) > window else { return }
        lastSweep = now
        let seconds = now.timeIntervalSinceReferenceDate
        senders = senders.filter { !$0.value.isIdle(now: seconds) }
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
