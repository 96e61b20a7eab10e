import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Wall-clock time for the application's services (docs/architecture.md: time is a parameter).
/// Services read `app.wallClock.now()` rather than `Date()`; a test installs a ``MovableClock``
/// and moves time instead of sleeping or rewriting rows.
protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's clock: production.
struct SystemWallClock: WallClock {
    func now() -> Date { Date() }
}

/// A clock that stands still until moved.
final class MovableClock: WallClock {
    private let current: NIOLockedValueBox<Date>

    init(_ start: Date = Date()) {
        current = NIOLockedValueBox(start)
    }

    func now() -> Date { current.withLockedValue { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLockedValue { $0 = $0.addingTimeInterval(seconds) }
    }
}

extension Application {
    private struct WallClockKey: StorageKey {
        typealias Value = any WallClock
    }

    /// The services' wall clock: the system's unless a test installed another.
    var wallClock: any WallClock {
        get { storage[WallClockKey.self] ?? SystemWallClock() }
        set { storage[WallClockKey.self] = newValue }
    }
}
