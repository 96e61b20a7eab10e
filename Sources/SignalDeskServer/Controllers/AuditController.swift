import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// `/ops/audit/*`: a user's own trail; the whole log for admins and viewers; chain verification.
struct AuditController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.authenticated.get("ops", "audit", "me", use: Self.mine)
        routes.opsReaders.get("ops", "audit", "all", use: Self.all)
        routes.adminOnly.get("ops", "audit", "verify", use: Self.verify)
    }

    struct AuditOut: Content {
        let id: Int
        @NullEncodable var userId: UUID?
        let action: String
        @NullEncodable var entityType: String?
        @NullEncodable var entityId: String?
        @NullEncodable var details: String?
        let createdAt: Date

        init(_ row: AuditEntry) throws {
            id = try row.requireID()
            userId = row.userID
            action = row.action
            entityType = row.entityType
            entityId = row.entityID
            details = row.details
            createdAt = row.createdAt
        }
    }

    struct VerifyOut: Content {
        let rows: Int
        let valid: Bool
        @NullEncodable var firstBrokenId: Int?
    }

    @Sendable static func mine(req: Request) async throws -> [AuditOut] {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 50, range: 1...500)
        return try await AuditEntry.query(on: req.db)
            .filter(\.$userID == caller.id)
            .sort(\.$id, .descending).limit(limit).all().map(AuditOut.init)
    }

    /// Filters: `action` (a prefix: `auth.login.` matches both outcomes), `user_email`, `since`
    /// (ISO-8601 time or a date), and `before_id` to page backwards from the last row seen.
    @Sendable static func all(req: Request) async throws -> [AuditOut] {
        let limit = try QueryValue.int(req, "limit", default: 100, range: 1...1000)
        for name in ["action", "user_email", "since"]
        where req.query[String.self, at: name]?.unicodeScalars.contains("\u{0}") == true {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(loc: ["query", name], msg: "\(name) must not contain NUL characters", type: "value_error")
                ])
        }
        var query = AuditEntry.query(on: req.db)
        if let action = req.query[String.self, at: "action"], !action.isEmpty {
            query = query.actionHasPrefix(action)
        }
        if let email = req.query[String.self, at: "user_email"], !email.isEmpty {
            let user = try await User.query(on: req.db).filter(\.$email == EmailAddress.normalized(email)).first()
            guard let userID = user?.id else { return [] }
            query = query.filter(\.$userID == userID)
        }
        if let raw = req.query[String.self, at: "since"], !raw.isEmpty {
            guard let since = ISOTime.parse(raw) else {
                throw APIError(
                    .unprocessableEntity,
                    items: [
                        .init(
                            loc: ["query", "since"],
                            msg: "since must be an ISO-8601 time (2026-11-22T08:00:00Z) or date (2026-11-22)",
                            type: "datetime_parsing")
                    ])
            }
            query = query.filter(\.$createdAt >= since)
        }
        if req.query[String.self, at: "before_id"] != nil {
            query = query.filter(\.$id < (try QueryValue.int(req, "before_id", default: 0, range: 1...Int.max)))
        }
        return try await query.sort(\.$id, .descending).limit(limit).all().map(AuditOut.init)
    }

    @Sendable static func verify(req: Request) async throws -> VerifyOut {
        let result = try await AuditChainSealing(app: req.application, db: req.db).verify()
        return VerifyOut(rows: result.rows, valid: result.valid, firstBrokenId: result.firstBrokenID)
    }
}

/// ISO-8601 times as clients send them: with or without fractional seconds, or a bare date (UTC
/// midnight).
enum ISOTime {
    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let date = ISO8601DateFormatter()
        date.formatOptions = [.withFullDate]
        return withFraction.date(from: text) ?? plain.date(from: text) ?? date.date(from: text)
    }
}
