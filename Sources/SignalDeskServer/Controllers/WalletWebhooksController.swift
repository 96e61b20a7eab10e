import Fluent
import SignalDeskCore
import Vapor

/// `/api/webhooks/test/{uuid}`, `/api/webhooks/metrics` and `/api/webhooks/health`: the dYdX
/// service's webhook helpers (contract.md, "Wallet identity and the dYdX service surface").
struct WalletWebhooksController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("api", "webhooks", "test", ":webhook_uuid", use: Self.test)
        routes.adminOnly.get("api", "webhooks", "metrics", use: Self.metrics)
        routes.get("api", "webhooks", "health", use: Self.health)
    }

    struct TestAnswer: Content {
        let status: String
        let message: String
    }

    struct Metrics: Content {
        let totalRequests: Int
        let accepted: Int
        let duplicates: Int
        let rejected: Int
        let authFailures: Int
        let rateLimited: Int
        let averageResponseMs: Double
        let since: Date
    }

    struct Health: Content {
        let status: String
        let database: String
        let worker: String
        let venues: [String: String]
    }

    /// Authenticates like the alert route (one constant-time comparison, a decoy for an unknown
    /// uuid, one `401 Authentication failed` for every failure, audited) and creates nothing.
    @Sendable static func test(req: Request) async throws -> TestAnswer {
        let uuid = (req.parameters.get("webhook_uuid") ?? "").lowercased()
        let body = req.body.data.map { Array($0.readableBytesView) } ?? []
        let object = TradingViewAlert.object(from: body)
        let provided =
            object.flatMap(TradingViewAlert.secret(in:)) ?? (try? req.query.get(String.self, at: "secret"))
            ?? req.headers.first(name: "X-Webhook-Secret") ?? ""
        let found = try await WebhookIntake.endpoint(uuid: uuid, app: req.application, on: req.db)
        let matches = ConstantTime.equals(
            WebhookIntake.digest(Array(provided.utf8)), found?.secretDigest ?? WebhookIntake.decoyDigest)
        guard found != nil, matches, !provided.isEmpty else {
            try await WebhooksController.refuseAuthentication(
                req, route: "test", userID: found?.userID, reason: found == nil ? "unknown_webhook" : "bad_secret")
        }
        return TestAnswer(status: "ok", message: "Webhook authentication successful")
    }

    @Sendable static func metrics(req: Request) -> Metrics {
        let stats = req.application.metrics.webhookStats
        let counts = stats.snapshot
        let average = counts.total == 0 ? 0 : (counts.totalMilliseconds / Double(counts.total) * 100).rounded() / 100
        return Metrics(
            totalRequests: counts.total, accepted: counts.accepted, duplicates: counts.duplicates,
            rejected: counts.rejected, authFailures: counts.authFailures, rateLimited: counts.rateLimited,
            averageResponseMs: average, since: stats.since)
    }

    /// `healthy` when the database answers and every venue circuit is closed; `degraded` otherwise.
    @Sendable static func health(req: Request) async -> Health {
        let database: String
        do {
            _ = try await DatabaseProbe.ping(req.db)
            database = "connected"
        } catch {
            database = "unreachable"
        }
        let config = req.application.appConfig
        let worker =
            !config.workerEnabled ? "disabled" : req.application.executionWorkerRunning ? "running" : "stopped"
        let venues = await req.application.venues.circuitStates()
        let healthy = database == "connected" && venues.values.allSatisfy { $0 == "closed" }
        return Health(status: healthy ? "healthy" : "degraded", database: database, worker: worker, venues: venues)
    }
}
