import Fluent
import SignalDeskCore
import Vapor

/// `/ops/security/*`: posture and re-encryption after a key rotation (admins).
struct SecurityController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let security = routes.adminOnly.grouped("ops", "security")
        security.get("posture", use: Self.posture)
        security.post("reencrypt-exchange-secrets", use: Self.reencrypt)
    }

    struct ReencryptBody: Content {
        let dryRun: Bool?
    }

    @Sendable static func posture(req: Request) async throws -> SecurityPosture.Report {
        let caller = try req.caller
        let realOnly = try req.query.get(Bool?.self, at: "real_only") ?? false
        let maxAge = try req.query.get(Int?.self, at: "max_secret_age_days") ?? 30
        guard (1...3650).contains(maxAge) else {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["query", "max_secret_age_days"], msg: "max_secret_age_days must be from 1 to 3650",
                        type: "value_error")
                ])
        }
        let report = try await SecurityPosture(
            db: req.db, keyRing: req.application.appConfig.keyRing, opsFacts: req.application.stores.opsFacts
        )
        .report(realOnly: realOnly, maxSecretAgeDays: maxAge, now: req.application.wallClock.now())
        try await AuditLog.record(
            AuditAction.securityPostureRead, userID: caller.id, entityType: "security", entityID: "posture",
            details: [
                "real_only": .bool(realOnly), "max_secret_age_days": .int(maxAge),
                "users_missing_2fa": .int(report.summary.usersMissing2fa),
                "secrets_on_retired_keys": .int(report.summary.secretsOnRetiredKeys),
            ], on: req.db)
        return report
    }

    @Sendable static func reencrypt(req: Request) async throws -> KeyRotation.Report {
        let caller = try req.caller
        // No body, or no dry_run field, means a dry run: writing must be asked for explicitly.
        let dryRun = req.body.data == nil ? true : (try req.content.decode(ReencryptBody.self).dryRun ?? true)
        let report = try await KeyRotation(keyRing: req.application.appConfig.keyRing, db: req.db, logger: req.logger)
            .run(dryRun: dryRun)
        try await AuditLog.record(
            AuditAction.securityKeyRotationReencrypt, userID: caller.id, entityType: "security", entityID: "key_ring",
            details: [
                "dry_run": .bool(dryRun), "scanned": .int(report.scanned), "updated": .int(report.updated),
                "failed": .int(report.failed), "active_key_id": .string(report.activeKeyId),
            ], on: req.db)
        return report
    }
}

extension KeyRotation.Report: Content {}
