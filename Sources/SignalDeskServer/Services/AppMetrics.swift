import Fluent
import NIOConcurrencyHelpers
import Prometheus
import SignalDeskCore
import Vapor

/// The Prometheus registry of one application and the metrics SignalDesk records in it.
///
/// Each application owns its registry, so tests running several applications at once never
/// see each other's counts.
public final class AppMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The alert routes' answers, for `GET /api/webhooks/metrics`.
    let webhookStats = WebhookStats()

    /// Seconds buckets for request latency: fine below 50 ms, where the webhook target lives.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]

    /// One (method, route, status). The route is the matched `Route` object (nil: unmatched):
    /// its label text is built only when the series is first seen.
    private struct RequestSeries: Hashable {
        let method: String
        let route: ObjectIdentifier?
        let status: UInt
    }

    /// Request metrics already made, by series: the registry looks a metric up by its name and
    /// labels, building both, under its lock; answering every request that way cost more than
    /// the rest of the metrics middleware.
    private let requestMetrics = NIOLockedValueBox([RequestSeries: (Counter, DurationHistogram)]())

    /// Counts an answer and its latency. The route label is the registered pattern
    /// (`/webhooks/tradingview/:webhook_uuid`), never the raw path, so ids and webhook uuids do not
    /// become label values; unmatched paths share one label.
    func recordRequest(method: HTTPMethod, route: Route?, status: UInt, duration: Duration) {
        let series = RequestSeries(method: method.rawValue, route: route.map(ObjectIdentifier.init), status: status)
        let (counter, histogram) = requestMetrics.withLockedValue { made in
            if let existing = made[series] { return existing }
            let path = route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
            let labels = [("method", method.rawValue), ("route", path), ("status", String(status))]
            let metrics = (
                registry.makeCounter(
                    descriptor: .init(
                        metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
                    labels: labels),
                registry.makeDurationHistogram(
                    descriptor: .init(
                        metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                    labels: labels,
                    buckets: Self.latencyBuckets)
            )
            made[series] = metrics
            return metrics
        }
        counter.increment()
        histogram.record(duration)
        if let route, WebhookStats.isAlertRoute(route) {
            webhookStats.record(status: status, duration: duration)
        }
    }

    func webhookAuthFailure(route: String) {
        registry.makeCounter(
            descriptor: .init(
                metricName: "webhook_auth_failures", unitName: "total",
                helpText: "Webhook requests refused at authentication"),
            labels: [("route", route)]
        ).increment()
    }

    func rateLimitHit(scope: String) {
        registry.makeCounter(
            descriptor: .init(
                metricName: "rate_limit_hits", unitName: "total", helpText: "Requests refused by a rate limit"),
            labels: [("scope", scope)]
        ).increment()
    }

    /// Signal counters already made, by source (one per accepted alert; see `requestMetrics`).
    private let signalCounters = NIOLockedValueBox([String: Counter]())

    func signalCreated(source: String) {
        signalCounters.withLockedValue { made in
            if let counter = made[source] { return counter }
            let counter = registry.makeCounter(
                descriptor: .init(
                    metricName: "signals_created", unitName: "total", helpText: "Signals accepted, by source"),
                labels: [("source", source)])
            made[source] = counter
            return counter
        }.increment()
    }

    /// The exposition text of every metric.
    func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

/// Gauges read from the database when `/metrics` is scraped: signals by status and orders by venue
/// and status (contract.md, Health). One `GROUP BY` query each, so a scrape costs two round trips
/// whatever the number of rows. Label values come from fixed sets the server writes (signal
/// states, venue names, order states), never from a user: no id, email or secret becomes a label.
struct DatabaseGauges: Sendable, Equatable {
    /// Count per signal status; every status of ``SignalStatus`` is present (0 when none).
    var signals: [String: Int]
    /// Count per (venue, order status).
    var orders: [VenueStatus: Int]

    struct VenueStatus: Hashable, Sendable {
        let venue: String
        let status: String
    }

    /// How long a scrape waits for the database before it answers without these gauges.
    static let timeout: Duration = .seconds(2)

    static func read(_ database: any Database) async throws -> DatabaseGauges {
        var signals = Dictionary(uniqueKeysWithValues: SignalStatus.allCases.map { ($0.rawValue, 0) })
        for (status, count) in try await GaugeStore.signalsByStatus(on: database) {
            signals[labelValue(status), default: 0] += count
        }
        var orders: [VenueStatus: Int] = [:]
        for (venue, status, count) in try await GaugeStore.ordersByVenueAndStatus(on: database) {
            orders[VenueStatus(venue: labelValue(venue), status: labelValue(status)), default: 0] += count
        }
        return DatabaseGauges(signals: signals, orders: orders)
    }

    /// A label value from a column the server fills from fixed sets: kept when it is a short
    /// upper-case token, else `OTHER` (a bounded label set even if a row holds something odd).
    static func labelValue(_ text: String) -> String {
        let allowed = text.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        return !text.isEmpty && text.utf8.count <= 32 && allowed ? text : "OTHER"
    }

    /// The Prometheus text of the gauges, series sorted so scrapes are stable.
    func render() -> String {
        var text = "# HELP signaldesk_signals Signals stored, by status (read from the database at scrape time)\n"
        text += "# TYPE signaldesk_signals gauge\n"
        for (status, count) in signals.sorted(by: { $0.key < $1.key }) {
            text += "signaldesk_signals{status=\"\(status)\"} \(count)\n"
        }
        text += "# HELP signaldesk_orders Orders stored, by venue and status (read from the database at scrape time)\n"
        text += "# TYPE signaldesk_orders gauge\n"
        for (key, count) in orders.sorted(by: { ($0.key.venue, $0.key.status) < ($1.key.venue, $1.key.status) }) {
            text += "signaldesk_orders{venue=\"\(key.venue)\",status=\"\(key.status)\"} \(count)\n"
        }
        return text
    }
}

extension AppMetrics {
    /// The exposition text of every metric plus the database gauges, read now. When the database
    /// does not answer within ``DatabaseGauges/timeout`` the gauges are left out and
    /// `signaldesk_database_gauges_ok` is 0, so a scrape never fails or hangs on the database.
    func render(database: any Database, logger: Logger) async -> [UInt8] {
        var bytes = render()
        var ok = 1
        do {
            let gauges = try await Deadline.value(within: DatabaseGauges.timeout, orThrow: DatabaseProbe.Timeout()) {
                try await DatabaseGauges.read(database)
            }
            bytes += Array(gauges.render().utf8)
        } catch {
            ok = 0
            logger.warning("Metrics: database gauges unavailable (\(type(of: error)))")
        }
        bytes += Array(
            ("# HELP signaldesk_database_gauges_ok 1 when this scrape read the database gauges, else 0\n"
                + "# TYPE signaldesk_database_gauges_ok gauge\n"
                + "signaldesk_database_gauges_ok \(ok)\n").utf8)
        return bytes
    }
}

extension Application {
    private struct MetricsKey: StorageKey {
        typealias Value = AppMetrics
    }

    /// This application's metrics, created on first use.
    public var metrics: AppMetrics {
        if let existing = storage[MetricsKey.self] { return existing }
        let created = AppMetrics()
        storage[MetricsKey.self] = created
        return created
    }
}
