import Fluent
import Foundation
import PostgresNIO
import SQLKit

/// An `audit_log` row as the audit lists read it (``AuditReadStore``), decoded column by column.
struct AuditRow: Sendable {
    static let columns = "id, user_id, action, entity_type, entity_id, details, created_at"
    let id: Int
    let userId: UUID?
    let action: String
    let entityType: String?
    let entityId: String?
    let details: String?
    let createdAt: Date

    init(_ row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int.self)
        userId = try row.decodeUUID(column: "user_id")
        action = try row.decode(column: "action", as: String.self)
        entityType = try row.decode(column: "entity_type", as: String?.self)
        entityId = try row.decode(column: "entity_id", as: String?.self)
        details = try row.decode(column: "details", as: String?.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
    }

    init(_ row: PostgresRow) throws {
        var cells = PostgresCells(row, table: "audit_log")
        id = try cells.next(Int.self)
        userId = try cells.next(UUID?.self)
        action = try cells.next(String.self)
        entityType = try cells.next(String?.self)
        entityId = try cells.next(String?.self)
        details = try cells.next(String?.self)
        createdAt = try cells.next(Date.self)
    }
}

/// Reads the audit log for `/ops/audit/me` and `/ops/audit/all`, a page at a time
/// (docs/paging.md): newest first by `id`, the order rows were written in.
enum AuditReadStore {
    struct Filter: Sendable {
        /// Only this user's rows.
        var userID: UUID?
        /// Only actions that start with this text, taken literally (`auth.login.` matches both
        /// outcomes; `%` and `_` match themselves), as `SQLText.hasPrefix`.
        var actionPrefix: String?
        /// Only rows written at or after this time.
        var since: Date?
    }

    /// The rows `filter` lets through, at most `limit`, walking `direction` from the row with id
    /// `cursor` (exclusive; from the newest without one). An id names a place in the log, not a
    /// row: a cursor of a row the caller cannot see still only returns rows the filter lets through.
    static func list(filter: Filter, cursor: Int?, direction: ListDirection, limit: Int, on db: any Database)
        async throws -> ListPage<AuditRow>
    {
        let statement = listStatement(filter: filter, cursor: cursor, direction: direction, limit: limit)
        var rows = try await statement.rows(on: db, postgres: AuditRow.init, sql: AuditRow.init)
        let hasMore = rows.count > limit
        if hasMore { rows.removeLast() }
        if direction == .newer { rows.reverse() }
        return ListPage(rows: rows, hasMore: hasMore)
    }

    static func listStatement(filter: Filter, cursor: Int?, direction: ListDirection, limit: Int) -> ListStatement {
        var statement = ListStatement()
        var conditions: [String] = []
        if let userID = filter.userID { conditions.append("user_id = \(statement.bind(.uuid(userID)))") }
        if let prefix = filter.actionPrefix {
            // `substr` counts characters in both databases.
            conditions.append(
                "substr(action, 1, \(prefix.unicodeScalars.count)) = \(statement.bind(.text(prefix)))")
        }
        if let since = filter.since { conditions.append("created_at >= \(statement.bind(.date(since)))") }
        if let cursor {
            conditions.append("id \(direction == .older ? "<" : ">") \(statement.bind(.int(cursor)))")
        }
        var sql = "SELECT \(AuditRow.columns) FROM audit_log"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY id \(direction == .older ? "DESC" : "ASC") LIMIT \(statement.bind(.int(limit + 1)))"
        statement.sql = sql
        return statement
    }
}
