import NIOConcurrencyHelpers
import Prometheus
import Vapor

/// The Prometheus registry of one application and the metrics SignalDesk records in it.
///
/// Each application owns its registry, so tests running several applications at once never
/// see each other's counts.
public final class AppMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

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
                    descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
                    labels: labels),
                registry.makeDurationHistogram(
                    descriptor: .init(metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                    labels: labels,
                    buckets: Self.latencyBuckets))
            made[series] = metrics
            return metrics
        }
        counter.increment()
        histogram.record(duration)
    }

    func webhookAuthFailure(route: String) {
        registry.makeCounter(
            descriptor: .init(metricName: "webhook_auth_failures", unitName: "total", helpText: "Webhook requests refused at authentication"),
            labels: [("route", route)]
        ).increment()
    }

    func rateLimitHit(scope: String) {
        registry.makeCounter(
            descriptor: .init(metricName: "rate_limit_hits", unitName: "total", helpText: "Requests refused by a rate limit"),
            labels: [("scope", scope)]
        ).increment()
    }

    /// Signal counters already made, by source (one per accepted alert; see `requestMetrics`).
    private let signalCounters = NIOLockedValueBox([String: Counter]())

    func signalCreated(source: String) {
        signalCounters.withLockedValue { made in
            if let counter = made[source] { return counter }
            let counter = registry.makeCounter(
                descriptor: .init(metricName: "signals_created", unitName: "total", helpText: "Signals accepted, by source"),
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
