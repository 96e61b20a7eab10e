import Vapor

/// Readiness report, daily gate and daily snapshot (issue 25, group 10), admins only.
struct ReadinessController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.get("users", "readiness", "report", use: Self.report)
        routes.adminOnly.get("ops", "admin", "readiness", "daily-gate", use: Self.gate)
        routes.adminOnly.get("ops", "admin", "snapshot", "daily", use: Self.snapshot)
    }

    static func options(_ req: Request) throws -> Readiness.Options {
        Readiness.Options(
            realOnly: try QueryValue.bool(req, "real_only", default: true),
            includeServiceUsers: try QueryValue.bool(req, "include_service_users", default: false),
            maxSecretAgeDays: try QueryValue.int(req, "max_secret_age_days", default: 30, range: 1...3650),
            recentHours: try QueryValue.int(req, "recent_hours", default: 24, range: 1...720))
    }

    @Sendable static func report(req: Request) async throws -> Readiness.Report {
        try await Readiness(app: req.application, db: req.db).report(
            try options(req), now: req.application.wallClock.now())
    }

    @Sendable static func gate(req: Request) async throws -> Readiness.Gate {
        try await Readiness(app: req.application, db: req.db).gate(
            try options(req), now: req.application.wallClock.now())
    }

    @Sendable static func snapshot(req: Request) async throws -> Readiness.Snapshot {
        let caller = try req.caller
        return try await Readiness(app: req.application, db: req.db).snapshot(
            try options(req), for: caller.email, now: req.application.wallClock.now())
    }
}
