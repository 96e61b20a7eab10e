import Vapor

/// Counts every answer and its latency by method, route pattern and status.
///
/// The route label is the registered pattern (`/positions/close`, `/webhooks/tradingview/:uuid`),
/// never the raw path, so ids and webhook uuids do not become label values; unmatched paths share
/// one label.
struct MetricsMiddleware: Middleware {
    let metrics: AppMetrics

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        return next.respond(to: request).map { response in
            record(request, response, since: start)
            return response
        }
    }

    private func record(_ request: Request, _ response: Response, since start: ContinuousClock.Instant) {
        metrics.recordRequest(
            method: request.method,
            route: request.route,
            status: response.status.code,
            duration: ContinuousClock.now - start
        )
    }
}
