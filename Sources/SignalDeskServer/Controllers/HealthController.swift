import Fluent
import Vapor

/// Liveness and readiness endpoints of contract.md "Health", `/metrics`, crypto-saas's `GET /ops/health`
/// placeholder and the site icon.
struct HealthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("healthz", use: Self.healthz)
        routes.get(use: Self.root)
        routes.get("live", use: Self.live)
        routes.get("ready", use: Self.ready)
        routes.adminOnly.get("health", "detailed", use: Self.detailed)
        routes.get("metrics", use: Self.metrics)
        routes.get("ops", "health", use: Self.opsHealth)
        routes.get("favicon.ico", use: Self.favicon)
    }

    /// Prometheus text: the registry's request, webhook and rate-limit metrics, then signals by
    /// status and orders by venue and status, read from the database now.
    @Sendable static func metrics(req: Request) async -> Response {
        let bytes = await req.application.metrics.render(database: req.db, logger: req.logger)
        return Response(
            status: .ok,
            headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(buffer: ByteBuffer(bytes: bytes)))
    }

    struct OpsHealth: Content {
        let systemState: String
        let note: String
    }

    /// `GET /ops/health`: crypto-saas's unauthenticated placeholder, kept as it answered (its
    /// clients probe it). It checks nothing; `/ready` and `/health/detailed` do.
    @Sendable static func opsHealth(req: Request) -> OpsHealth {
        OpsHealth(systemState: "OK", note: "placeholder")
    }

    /// The site icon (an SVG: browsers accept one at `/favicon.ico` by its content type), so the
    /// dashboard and docs pages do not log a 404 for it.
    static let faviconSVG = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d2430"/>\
        <path d="M5 22l6-7 5 4 5-8 6 6" fill="none" stroke="#4fb3ff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>
        """

    @Sendable static func favicon(req: Request) -> Response {
        Response(
            status: .ok,
            headers: [
                "Content-Type": "image/svg+xml",
                "Cache-Control": "public, max-age=86400",
                "X-Content-Type-Options": "nosniff",
            ],
            body: .init(string: faviconSVG))
    }

    struct Status: Content {
        let status: String
    }

    struct Root: Content {
        let app: String
        let docs: String
    }

    struct Live: Content {
        let status: String
        let timestamp: Date
        let uptimeSeconds: Double
    }

    struct Ready: Content {
        let status: String
        let database: String
    }

    @Sendable static func healthz(req: Request) -> Status {
        Status(status: "ok")
    }

    @Sendable static func root(req: Request) -> Root {
        Root(app: "signaldesk", docs: "/docs")
    }

    @Sendable static func live(req: Request) -> Live {
        Live(
            status: "alive", timestamp: req.application.wallClock.now(),
            uptimeSeconds: req.application.uptime.roundedSeconds)
    }

    @Sendable static func ready(req: Request) async throws -> Response {
        do {
            _ = try await DatabaseProbe.ping(req.db)
            return try await Ready(status: "ready", database: "connected").encodeResponse(for: req)
        } catch {
            req.logger.warning("Readiness check failed: database unreachable (\(type(of: error)))")
            let response = try await Ready(status: "not_ready", database: "unreachable").encodeResponse(for: req)
            response.status = .serviceUnavailable
            return response
        }
    }
}

extension HealthController {
    struct Detailed: Content {
        struct DatabaseState: Content {
            let kind: String
            let status: String
            @NullEncodable var latencyMs: Double?
        }

        struct WorkerState: Content {
            let enabled: Bool
            let running: Bool
        }

        let status: String
        let version: String
        let uptimeSeconds: Double
        let database: DatabaseState
        let worker: WorkerState
        @NullEncodable var queueDepth: Int?
        @NullEncodable var oldestPendingAgeSeconds: Double?
        @NullEncodable var outboxBacklog: Int?
        let venues: [String: String]
    }

    /// Admin view of the process: version, uptime, database kind and round-trip latency, worker
    /// state, signals waiting (`CREATED`) and venue circuit states.
    @Sendable static func detailed(req: Request) async throws -> Detailed {
        let config = req.application.appConfig
        var latency: Double?
        var queueDepth: Int?
        var oldestAge: Double?
        var backlog: Int?
        do {
            latency = (try await DatabaseProbe.ping(req.db)).roundedSeconds * 1000
            queueDepth = try await GaugeStore.waitingSignals(on: req.db)
            if let oldest = try await Signal.query(on: req.db).filter(\.$status == .created).min(\.$createdAt) {
                oldestAge = max(0, req.application.wallClock.now().timeIntervalSince(oldest))
            }
            backlog = try await OutboxMessage.query(on: req.db).filter(\.$status == "PENDING").count()
        } catch {
            req.logger.warning("Detailed health: database unreachable (\(type(of: error)))")
        }
        return Detailed(
            status: latency == nil ? "degraded" : "ok",
            version: SignalDeskVersion.current,
            uptimeSeconds: req.application.uptime.roundedSeconds,
            database: .init(
                kind: config.database.kind, status: latency == nil ? "unreachable" : "connected", latencyMs: latency),
            worker: .init(enabled: config.workerEnabled, running: req.application.executionWorkerRunning),
            queueDepth: queueDepth,
            oldestPendingAgeSeconds: oldestAge,
            outboxBacklog: backlog,
            venues: await req.application.venues.circuitStates()
        )
    }
}

/// The version `/health/detailed` reports.
enum SignalDeskVersion {
    static let current = "0.1.0"
}

extension Application {
    private struct StartedAtKey: StorageKey {
        typealias Value = ContinuousClock.Instant
    }

    /// Marks the moment the application was configured; `/live` reports uptime from it.
    func markStarted() {
        storage[StartedAtKey.self] = ContinuousClock.now
    }

    var uptime: Duration {
        storage[StartedAtKey.self].map { ContinuousClock.now - $0 } ?? .zero
    }
}

extension Duration {
    /// Seconds with millisecond precision.
    var roundedSeconds: Double {
        let (seconds, attoseconds) = components
        return (Double(seconds) + Double(attoseconds / 1_000_000_000_000_000) / 1000)
    }
}
