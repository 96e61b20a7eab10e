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

    func recordRequest(method: String, route: String, status: UInt, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(
            descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
            labels: labels,
            buckets: Self.latencyBuckets
        ).record(duration)
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

    func signalCreated(source: String) {
        registry.makeCounter(
            descriptor: .init(metricName: "signals_created", unitName: "total", helpText: "Signals accepted, by source"),
            labels: [("source", source)]
        ).increment()
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
