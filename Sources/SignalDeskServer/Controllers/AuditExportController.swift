import SignalDeskCore
import Vapor

/// `GET /ops/admin/audit/export?limit=` (admin; issue 25, group 7): ``AuditExport``.
struct AuditExportController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.get("ops", "admin", "audit", "export", use: Self.export)
    }

    @Sendable static func export(req: Request) async throws -> Response {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 1000, range: AuditExport.limits)
        let result = try await AuditExport(app: req.application, db: req.db)
            .export(limit: limit, now: req.application.wallClock.now())
        // Audited after the export is built, so it is not in the export it describes.
        try await AuditLog.record(
            AuditAction.opsAuditExport, userID: caller.id, entityType: "audit", entityID: "export",
            details: [
                "records_count": .int(result.recordsCount), "limit": .int(limit),
                "payload_sha256": .string(result.sha256),
            ], on: req.db)
        return Response(
            status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(string: result.body))
    }
}
