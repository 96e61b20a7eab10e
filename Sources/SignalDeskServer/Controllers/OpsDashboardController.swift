import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Ops reports and actions: daily compare, the dashboard summary and page, smoke-user cleanup.
/// The summary is open to admins and viewers; daily compare (contract.md: admin) and the cleanup are
/// for admins.
struct OpsDashboardController: RouteCollection {
    let page: ByteBuffer

    init() throws {
        page = try DocsController.resource("dashboard", ext: "html")
    }

    /// The headers of the ops pages (this dashboard, ``OpsConsoleController``'s console): no
    /// caching, no framing, scripts and styles only inline, requests only to this server.
    static let pageHeaders: HTTPHeaders = [
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy":
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ]

    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.get("ops", "risk", "daily-compare", use: Self.dailyCompare)
        routes.opsReaders.get("ops", "dashboard", "summary", use: Self.summary)
        routes.adminOnly.post("ops", "admin", "cleanup-smoke-users", use: Self.cleanup)
        // The page itself holds no data: it signs in and calls the summary with the token.
        routes.get("ops", "dashboard") { _ in
            Response(
                status: .ok,
                headers: Self.pageHeaders,
                body: .init(buffer: page))
        }
    }

    @Sendable static func dailyCompare(req: Request) async throws -> OpsReports.DailyCompare {
        let caller = try req.caller
        let realOnly = try QueryValue.bool(req, "real_only", default: false)
        return try await OpsReports(app: req.application, db: req.db).dailyCompare(
            realOnly: realOnly, for: caller.email)
    }

    @Sendable static func summary(req: Request) async throws -> OpsReports.Summary {
        let caller = try req.caller
        let exchangeText = req.query[String.self, at: "exchange"] ?? "ALL"
        let exchange = Exchange(parsing: exchangeText)
        guard exchange != nil || exchangeText.uppercased() == "ALL" else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["query", "exchange"], msg: "exchange must be ALL, BINANCE, IBKR, BYBIT or DYDX",
                        type: "enum")
                ])
        }
        let scope = UserScope(
            realOnly: try QueryValue.bool(req, "real_only", default: true),
            includeServiceUsers: try QueryValue.bool(req, "include_service_users", default: false),
            emailContains: req.query[String.self, at: "email_contains"],
            exchange: exchange)
        return try await OpsReports(app: req.application, db: req.db).summary(
            scope: scope,
            maxSecretAgeDays: try QueryValue.int(req, "max_secret_age_days", default: 30, range: 1...3650),
            recentHours: try QueryValue.int(req, "recent_hours", default: 24, range: 1...720),
            for: caller.email)
    }

    @Sendable static func cleanup(req: Request) async throws -> SmokeUserCleanup.Report {
        let caller = try req.caller
        let dryRun = try QueryValue.bool(req, "dry_run", default: true)
        let olderThan = try QueryValue.int(req, "older_than_days", default: 14, range: 0...3650)
        let report = try await SmokeUserCleanup(app: req.application, db: req.db).run(
            dryRun: dryRun, olderThanDays: olderThan)
        try await AuditLog.record(
            AuditAction.opsCleanupSmokeUsers, userID: caller.id, entityType: "ops", entityID: "cleanup-smoke-users",
            details: [
                "dry_run": .bool(dryRun), "older_than_days": .int(olderThan), "scanned": .int(report.scanned),
                "eligible": .int(report.eligible), "deleted": .int(report.deleted),
            ],
            on: req.db)
        return report
    }
}
