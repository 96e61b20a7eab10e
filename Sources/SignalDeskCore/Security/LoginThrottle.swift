import Foundation

/// Login throttling: after `maxFailures` failed attempts for one account within `window`, every
/// attempt (even with the right password) is refused until the oldest of those failures leaves
/// the window. A successful login before the limit starts the count afresh.
public struct LoginThrottle: Sendable {
    public let maxFailures: Int
    public let window: TimeInterval

    public init(maxFailures: Int = 5, window: TimeInterval = 15 * 60) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// An attempt as the throttle sees it.
    public struct Attempt: Sendable {
        public let at: Date
        public let succeeded: Bool

        public init(at: Date, succeeded: Bool) {
            self.at = at
            self.succeeded = succeeded
        }
    }

    /// Seconds until the account may try again, or nil when it may try now.
    ///
    /// - Parameter attempts: the account's attempts since `now - window`, in any order.
    public func retryAfter(attempts: [Attempt], now: Date) -> Int? {
        let recent = attempts.filter { $0.at > now.addingTimeInterval(-window) && $0.at <= now }.sorted {
            $0.at < $1.at
        }
        let sinceSuccess = recent.lastIndex(where: \.succeeded).map { recent[($0 + 1)...] } ?? recent[...]
        let failures = sinceSuccess.filter { !$0.succeeded }
        guard failures.count >= maxFailures else { return nil }
        // The lock lifts when fewer than maxFailures failures remain in the window.
        let releasing = failures[failures.count - maxFailures]
        let seconds = releasing.at.addingTimeInterval(window).timeIntervalSince(now)
        return max(1, Int(seconds.rounded(.up)))
    }
}
