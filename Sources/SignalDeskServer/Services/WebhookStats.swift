import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Counts of this process's answers on the alert routes (`/webhooks/tradingview/:uuid`,
/// `/api/webhooks/signal/:uuid`, `/webhook`) for `GET /api/webhooks/metrics`, kept by the metrics
/// middleware beside the Prometheus series. Per process, since it started: several instances
/// each count their own (the Prometheus series are the fleet-wide view).
final class WebhookStats: Sendable {
    struct Counts: Sendable, Equatable {
        var total = 0
        var accepted = 0
        var duplicates = 0
        var rejected = 0
        var authFailures = 0
        var rateLimited = 0
        var totalMilliseconds = 0.0
    }

    let since: Date
    private let counts = NIOLockedValueBox(Counts())

    init(since: Date = Date()) { self.since = since }

    /// True for the routes whose answers are counted.
    static func isAlertRoute(_ route: Route) -> Bool {
        let path = route.path
        guard case .constant(let first)? = path.first else { return false }
        switch path.count {
        case 1: return first == "webhook"
        case 3: return first == "webhooks" && path[1] == .constant("tradingview")
        case 4: return first == "api" && path[1] == .constant("webhooks") && path[2] == .constant("signal")
        default: return false
        }
    }

    func record(status: UInt, duration: Duration) {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        counts.withLockedValue { counts in
            counts.total += 1
            counts.totalMilliseconds += milliseconds
            switch status {
            case 202: counts.accepted += 1
            case 200: counts.duplicates += 1
            case 401: counts.authFailures += 1
            case 429: counts.rateLimited += 1
            default: counts.rejected += 1
            }
        }
    }

    var snapshot: Counts { counts.withLockedValue { $0 } }
}
