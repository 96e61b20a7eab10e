import Fluent
import SignalDeskCore
import Vapor

/// `GET /ops/admin/idempotency/stats` and `POST /ops/admin/idempotency/cleanup` (issue 25,
/// group 4; admin): what the idempotency keys hold, and the removal of those older than
/// IDEMPOTENCY_KEY_MAX_AGE_DAYS.
struct IdempotencyAdminController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.get("ops", "admin", "idempotency", "stats", use: Self.stats)
        routes.adminOnly.post("ops", "admin", "idempotency", "cleanup", use: Self.cleanup)
    }

    struct Stats: Content {
        let recordsTotal: Int
        let maxAgeDays: Int
        @NullEncodable var oldestRecordAt: Date?
        @NullEncodable var newestRecordAt: Date?
    }

    struct Cleanup: Content {
        let deleted: Int
        let maxAgeDays: Int
    }

    @Sendable static func stats(req: Request) async throws -> Stats {
        let caller = try req.caller
        let stats = try await IdempotencyKeys(db: req.db).stats()
        try await AuditLog.record(
            AuditAction.securityIdempotencyStatsRead, userID: caller.id, entityType: "security",
            details: ["records_total": .int(stats.total)], on: req.db)
        return Stats(
            recordsTotal: stats.total, maxAgeDays: req.application.appConfig.idempotencyKeyMaxAgeDays,
            oldestRecordAt: stats.oldest, newestRecordAt: stats.newest)
    }

    @Sendable static func cleanup(req: Request) async throws -> Cleanup {
        let caller = try req.caller
        let days = req.application.appConfig.idempotencyKeyMaxAgeDays
        let cutoff = req.application.wallClock.now().addingTimeInterval(-Double(days) * 86_400)
        let deleted = try await req.application.stores.transactions.run(on: req.db) { tx in
            let deleted = try await IdempotencyKeys(db: tx).deleteCreated(before: cutoff)
            try await AuditLog.record(
                AuditAction.securityIdempotencyCleanup, userID: caller.id, entityType: "security",
                details: ["deleted": .int(deleted), "max_age_days": .int(days)], on: tx)
            return deleted
        }
        return Cleanup(deleted: deleted, maxAgeDays: days)
    }
}
