import Fluent
import Foundation
import PostgresNIO
import SQLKit

/// Which way a page of a newest-first list walks from its cursor (docs/paging.md).
enum ListDirection: Sendable, Equatable {
    /// Rows after the cursor in the list's order: older ones (`before=`).
    case older
    /// Rows ahead of the cursor: newer ones (`after=`), the ones nearest the cursor first taken,
    /// still answered newest first.
    case newer
}

/// A page of a list: its rows in the list's order (newest first), and whether more rows lie
/// beyond the page in the direction it walked.
struct ListPage<Row: Sendable>: Sendable {
    var rows: [Row]
    var hasMore: Bool
}

/// A list's cursor named a row the caller cannot see (another user's, or none at all): the two
/// are not told apart.
struct ListCursorUnknown: Error, CustomStringConvertible {
    var description: String { "the cursor names no row of this list" }
}

/// A value for a `$n` parameter of a ``ListStatement``.
enum ListBind: Sendable {
    case uuid(UUID)
    case text(String)
    case int(Int)
    case date(Date)

    fileprivate var encodable: any Encodable & Sendable {
        switch self {
        case .uuid(let value): value
        case .text(let value): value
        case .int(let value): value
        case .date(let value): value
        }
    }

    fileprivate func append(to bindings: inout PostgresBindings) {
        switch self {
        case .uuid(let value): bindings.append(value)
        case .text(let value): bindings.append(value)
        case .int(let value): bindings.append(value)
        case .date(let value): bindings.append(value)
        }
    }
}

/// One `SELECT` of a list, written once with PostgreSQL's `$n` parameters for both databases.
/// PostgreSQL runs it through PostgresNIO and the caller decodes the rows by position (SQLKit's
/// `decode(column:as:)` builds a coding path and looks the type's conformance up for every cell,
/// most of a long list's time); SQLite runs the same text through
/// `SQLQueryString(numbered:binds:)`. The one place these lists choose between the two, so that
/// one store type serves both databases.
struct ListStatement: Sendable {
    var sql: String
    var binds: [ListBind]

    /// `sql` with the values of its `$1`, `$2`, ...; or an empty statement that ``bind(_:)``
    /// numbers as it is written.
    init(_ sql: String = "", binds: [ListBind] = []) {
        self.sql = sql
        self.binds = binds
    }

    /// Appends `value` and returns its parameter, `$n`.
    mutating func bind(_ value: ListBind) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    func rows<Row>(
        on db: any Database, postgres decodePostgres: (PostgresRow) throws -> Row,
        sql decodeSQL: (any SQLRow) throws -> Row
    ) async throws -> [Row] {
        if let postgres = db as? any PostgresDatabase {
            var bindings = PostgresBindings(capacity: binds.count)
            for value in binds { value.append(to: &bindings) }
            let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
            let logger = db.logger
            let result = try await postgres.withConnection { $0.query(query, logger: logger) }.get()
            var rows: [Row] = []
            rows.reserveCapacity(result.rows.count)
            for row in result.rows { rows.append(try decodePostgres(row)) }
            return rows
        }
        let rows = try await db.sql(for: "ListStatement").raw(
            SQLQueryString(numbered: sql, binds: binds.map(\.encodable))
        ).all()
        return try rows.map(decodeSQL)
    }

    /// Whether the statement returns a row.
    func exists(on db: any Database) async throws -> Bool {
        try await !rows(on: db, postgres: { _ in () }, sql: { _ in () }).isEmpty
    }
}
