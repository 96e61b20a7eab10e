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

        /// A row of a list as an `AuditOut` object, keys in sorted order (as ``JSONCoding`` writes
        /// them): `PagingTests` checks it against `JSONEncoder` byte for byte.
        static func write(_ row: AuditRow, to json: inout JSONWriter) {
            json.beginObject()
            json.field("action", WireText.string(row.action))
            json.field("created_at", row.createdAt)
            json.field("details", WireText.string(row.details))
            json.field("entity_id", WireText.string(row.entityId))
            json.field("entity_type", WireText.string(row.entityType))
            json.field("id", row.id)
            json.field("user_id", row.userId)
            json.endObject()
        }

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

    /// The caller's rows, newest first, a page at a time (docs/paging.md).
    @Sendable static func mine(req: Request) async throws -> Response {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 50, range: 1...500)
        return try await page(req, filter: .init(userID: caller.id), limit: limit)
    }

    /// Filters: `action` (a prefix: `auth.login.` matches both outcomes), `user_email`, `since`
    /// (ISO-8601 time or a date); pages with `before` (or its older name `before_id`) or `after`
    /// the id of a row (docs/paging.md).
    @Sendable static func all(req: Request) async throws -> Response {
        let limit = try QueryValue.int(req, "limit", default: 100, range: 1...1000)
        for name in ["action", "user_email", "since"]
        where req.query[String.self, at: name]?.unicodeScalars.contains("\u{0}") == true {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(loc: ["query", name], msg: "\(name) must not contain NUL characters", type: "value_error")
                ])
        }
        var filter = AuditReadStore.Filter()
        if let action = req.query[String.self, at: "action"], !action.isEmpty { filter.actionPrefix = action }
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
            filter.since = since
        }
        if let email = req.query[String.self, at: "user_email"], !email.isEmpty {
            let user = try await User.query(on: req.db).filter(\.$email == EmailAddress.normalized(email)).first()
            guard let userID = user?.id else {
                _ = try cursor(req)  // a bad cursor is still a 422
                return ListPaging.response(Array("[]".utf8))
            }
            filter.userID = userID
        }
        return try await page(req, filter: filter, limit: limit)
    }

    /// The cursor of an audit list: `before`, `before_id` or `after`, the id of a row.
    static func cursor(_ req: Request) throws -> (id: Int, direction: ListDirection)? {
        guard let given = try ListPaging.cursor(req, beforeAliases: ["before_id"]) else { return nil }
        guard let id = Int(given.text), id >= 1 else {
            throw ListPaging.invalid(given.name, "\(given.name) must be the id of an audit row (an integer from 1)")
        }
        return (id, given.direction)
    }

    /// A page of the rows `filter` lets through, as `[AuditOut]` written by ``JSONWriter``.
    static func page(_ req: Request, filter: AuditReadStore.Filter, limit: Int) async throws -> Response {
        let cursor = try cursor(req)
        let direction = cursor?.direction ?? .older
        let page = try await AuditReadStore.list(
            filter: filter, cursor: cursor?.id, direction: direction, limit: limit, on: req.db)
        var json = JSONWriter(capacity: 300 * page.rows.count + 2)
        json.beginArray()
        for row in page.rows { AuditOut.write(row, to: &json) }
        json.endArray()
        let response = ListPaging.response(json.bytes)
        if page.hasMore, let edge = direction == .older ? page.rows.last : page.rows.first {
            ListPaging.linkNext(response, for: req, direction: direction, cursor: String(edge.id))
        }
        return response
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
