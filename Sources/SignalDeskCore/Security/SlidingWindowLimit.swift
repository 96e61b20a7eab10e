import Foundation

/// At most `limit` events per `window` seconds for one sender, counted exactly over a sliding
/// window.
///
/// Keeps the times of the events still inside the window, oldest first, and never more than
/// `limit` of them: an attempt drops the expired ones from the front, so its cost does not
/// grow with the traffic (a filtered copy of every recent event per attempt made the webhook
/// path slower the busier a webhook was).
public struct SlidingWindowLimit: Sendable {
    public let limit: Int
    public let window: TimeInterval
    private var times: [TimeInterval] = []
    private var head = 0

    public init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Events currently inside the window as of the last attempt.
    public var count: Int { times.count - head }

    /// Records an event at `now` (seconds on any fixed clock) when fewer than `limit` happened in
    /// the `window` seconds before it and returns nil; otherwise records nothing and returns the
    /// whole seconds (at least 1) until the oldest of them leaves the window.
    public mutating func attempt(now: TimeInterval) -> Int? {
        let since = now - window
        while head < times.count, times[head] <= since { head += 1 }
        if head >= 64, head * 2 >= times.count {
            times.removeFirst(head)
            head = 0
        }
        guard limit > 0 else { return max(1, Int(window.rounded(.up))) }
        guard count < limit else {
            let oldest = times[times.count - limit]
            return max(1, Int((oldest + window - now).rounded(.up)))
        }
        times.append(now)
        return nil
    }

    /// True when no recorded event is inside the window at `now`: the sender can be forgotten.
    public func isIdle(now: TimeInterval) -> Bool {
        guard let last = times.last else { return true }
        return last <= now - window
    }
}
