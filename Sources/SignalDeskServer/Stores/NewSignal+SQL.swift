import Fluent
import SQLKit
import SignalDeskCore

/// How a new signal is written with SQLKit (SQLite's inserts, and the intake's alerts without an
/// id on both databases); PostgreSQL's grouped statement is ``PostgresSignalWriteStore``'s.
extension NewSignal {
    /// Inserts the signal with SQLKit (one statement) on either database.
    func insert(on db: any Database) async throws {
        var row: [any SQLExpression] = values.map(\.bind)
        var columns = Self.boundColumns.map(\.rawValue)
        for column in Self.columns {
            guard let fixed = Self.fixedSQL(column) else { continue }
            columns.append(column.rawValue)
            row.append(SQLRaw(fixed))
        }
        try await db.sql(for: "NewSignal.insert").insert(into: Signal.schema)
            .columns(columns)
            .values(row)
            .run()
    }

    /// Inserts the signal and its `action` audit row on `db`, which the caller makes a transaction.
    func insert(auditedAs action: AuditAction, details: [String: AuditValue], on db: any Database) async throws {
        try await insert(on: db)
        try await AuditLog.record(
            action, userID: userID, entityType: "signal", entityID: id.uuidString, details: details, on: db,
            at: createdAt)
    }
}

extension NewSignal.Value {
    /// The value for SQLKit.
    var bind: SQLBind {
        switch self {
        case .uuid(let value): SQLBind(value)
        case .text(let value): SQLBind(value)
        case .double(let value): SQLBind(value)
        case .date(let value): SQLBind(value)
        }
    }
}
