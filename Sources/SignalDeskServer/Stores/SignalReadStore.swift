import Fluent
import Foundation

/// Reads a user's signals for `GET /signals`, a page at a time (docs/paging.md): newest first by
/// `created_at`, ties by `id`, both descending; one SQL text per shape of the request for both
/// databases (``ListStatement``).
enum SignalReadStore {
    /// Where a page starts: after one of the user's signals in the list's order, or at a time.
    enum Cursor: Sendable, Equatable {
        /// Strictly beyond this signal of the user's, compared as the list orders rows: by
        /// `(created_at, id)` as the database stores them, so rows that share `created_at` are
        /// neither skipped nor repeated.
        case signal(UUID)
        /// Strictly older (``ListDirection/older``) or newer than this time.
        case time(Date)
    }

    /// The user's signals, `status` only when given, at most `limit`, walking `direction` from
    /// `cursor` (from the newest without one). Throws ``ListCursorUnknown`` when `cursor` names
    /// no signal of the user's.
    static func list(
        userID: UUID, status: String?, cursor: Cursor?, direction: ListDirection, limit: Int, on db: any Database
    ) async throws -> ListPage<SignalRow> {
        let statement = listStatement(
            userID: userID, status: status, cursor: cursor, direction: direction, limit: limit)
        var rows = try await statement.rows(on: db, postgres: SignalRow.init, sql: SignalRow.init)
        if rows.isEmpty, case .signal(let id) = cursor, try await !ownsSignal(userID: userID, id: id, on: db) {
            throw ListCursorUnknown()
        }
        let hasMore = rows.count > limit
        if hasMore { rows.removeLast() }
        if direction == .newer { rows.reverse() }
        return ListPage(rows: rows, hasMore: hasMore)
    }

    /// The list's statement: `limit + 1` rows, the extra one telling whether there are more.
    /// Newer pages read upwards from the cursor (the rows nearest it) and are reversed by
    /// ``list(userID:status:cursor:direction:limit:on:)``.
    static func listStatement(
        userID: UUID, status: String?, cursor: Cursor?, direction: ListDirection, limit: Int
    ) -> ListStatement {
        var statement = ListStatement()
        let user = statement.bind(.uuid(userID))
        var sql = "SELECT \(SignalRow.columns) FROM signals WHERE user_id = \(user)"
        if let status { sql += " AND status = \(statement.bind(.text(status)))" }
        let comparison = direction == .older ? "<" : ">"
        switch cursor {
        case .signal(let id):
            // The database compares its own stored values: a time sent back and forth through a
            // client would lose PostgreSQL's microseconds.
            sql +=
                " AND (created_at, id) \(comparison) (SELECT created_at, id FROM signals"
                + " WHERE id = \(statement.bind(.uuid(id))) AND user_id = \(user))"
        case .time(let time):
            sql += " AND created_at \(comparison) \(statement.bind(.date(time)))"
        case nil:
            break
        }
        let order = direction == .older ? "DESC" : "ASC"
        sql += " ORDER BY created_at \(order), id \(order) LIMIT \(statement.bind(.int(limit + 1)))"
        statement.sql = sql
        return statement
    }

    /// Whether `id` is one of the user's signals.
    static func ownsSignal(userID: UUID, id: UUID, on db: any Database) async throws -> Bool {
        try await ListStatement(
            "SELECT 1 FROM signals WHERE id = $1 AND user_id = $2", binds: [.uuid(id), .uuid(userID)]
        )
        .exists(on: db)
    }
}
