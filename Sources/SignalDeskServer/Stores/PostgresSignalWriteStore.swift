import Fluent
import Foundation
import Logging
import PostgresNIO
import SignalDeskCore

/// ``SignalWriteStore`` on PostgreSQL. A signal and its audit row are written by one
/// data-modifying statement, atomic on its own: one round trip instead of `BEGIN`, two inserts and
/// `COMMIT` (docs/architecture.md, "Other hot paths on PostgreSQL"). `POST /signals` runs it as a
/// named prepared statement (planning the insert took PostgreSQL about as long as running it,
/// `pg_stat_statements`: 0.29 ms of 0.75 ms per call); webhook alerts with an id run it for a group
/// of concurrent alerts at once (``StatementBatcher``: one statement and one commit per group).
struct PostgresSignalWriteStore: SignalWriteStore {
    /// Groups the inserts of concurrent webhook alerts.
    let acceptBatcher: StatementBatcher<Accepted, Bool>

    /// One new signal and the JSON details of its audit row.
    struct Accepted: Sendable {
        let signal: NewSignal
        let details: String
    }

    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws {
        let stored = try await db.postgres(for: "PostgresSignalWriteStore").run(
            CreateSignal(row: .init(signal: signal, details: try AuditLog.detailsJSON(auditDetails))),
            logger: db.logger)
        guard stored == [signal.id.uuidString] else { throw SignalNotStored() }
    }

    func accept(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: @autoclosure () -> any Database)
        async throws -> Bool
    {
        try await acceptBatcher.submit(Accepted(signal: signal, details: try AuditLog.detailsJSON(auditDetails)))
    }

    /// `POST /signals`' statement: the insert of one row, whose `ON CONFLICT (webhook_id,
    /// alert_id)` never skips a signal without a webhook.
    struct CreateSignal: PostgresPreparedStatement {
        static let name = "signaldesk_signal_create"
        static let sql = PostgresSignalWriteStore.insertSQL(rowCount: 1, action: .signalCreate)
        typealias Row = String

        let row: Accepted

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: PostgresSignalWriteStore.batchColumnTypes.count)
            PostgresSignalWriteStore.append(row, to: &bindings)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
    }

    /// Stores a group of accepted alerts and their `webhook.accepted` audit rows; for each, whether
    /// its signal was stored (false: its `(webhook_id, alert_id)` is taken, by an earlier alert or
    /// by a twin in the same group; its audit row is skipped with it).
    static func storeAccepted(_ rows: [Accepted], on postgres: any PostgresDatabase, logger: Logger) async throws
        -> [Bool]
    {
        var bindings = PostgresBindings(capacity: rows.count * batchColumnTypes.count)
        for row in rows { append(row, to: &bindings) }
        let query = PostgresQuery(
            unsafeSQL: insertSQL(rowCount: rows.count, action: .webhookAccepted), binds: bindings)
        let result = try await postgres.withConnection { connection in
            connection.query(query, logger: logger)
        }.get()
        var stored = Set<String>()
        for row in result.rows { stored.insert(try row.decode(String.self)) }
        return rows.map { stored.contains($0.signal.id.uuidString) }
    }

    /// The SQL type of each signal column in the statement's `VALUES`.
    static func postgresType(_ column: SignalColumn) -> String {
        switch column {
        case .id, .userID, .webhookID: "uuid"
        case .symbol, .module, .side, .exchange, .source, .orderType, .action, .status, .reasonCodes, .alertID,
            .bodyHash:
            "text"
        case .baseRiskPercent, .entryPrice, .stopLoss, .takeProfit, .qty: "float8"
        case .leaseCount: "int8"
        case .leasedUntil, .createdAt, .updatedAt: "timestamptz"
        }
    }

    /// The types of one row of the statement's `VALUES`, in binding order: the signal's bound
    /// columns (``NewSignal/boundColumns``), then the audit row's entity id and details.
    static let batchColumnTypes = NewSignal.boundColumns.map(postgresType) + ["text", "text"]

    /// The bindings of one row of ``insertSQL(rowCount:action:)``'s `VALUES`, in column order.
    static func append(_ row: Accepted, to bindings: inout PostgresBindings) {
        for value in row.signal.values {
            switch value {
            case .uuid(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .double(let value): bindings.append(value)
            case .date(let value): bindings.append(value)
            }
        }
        bindings.append(row.signal.id.uuidString)
        bindings.append(row.details)
    }

    /// The statement for `rowCount` signals, their parameters numbered from `$1`: the signals
    /// (skipping a taken `(webhook_id, alert_id)`) and, for each one stored, its `action` audit
    /// row; it returns the ids of the signals it stored.
    static func insertSQL(rowCount: Int, action: AuditAction) -> String {
        let values = (0..<rowCount).map { row in
            let first = row * batchColumnTypes.count + 1
            let casts = batchColumnTypes.enumerated().map { "$\(first + $0.offset)::\($0.element)" }
            return "(" + casts.joined(separator: ", ") + ")"
        }
        let bound = NewSignal.boundColumns.map(\.rawValue).joined(separator: ", ")
        let columns = NewSignal.columns.map(\.rawValue).joined(separator: ", ")
        let selected = NewSignal.columns.map { NewSignal.fixedSQL($0) ?? $0.rawValue }.joined(separator: ", ")
        return """
            WITH batch (\(bound), entity_id, details) AS (
              VALUES \(values.joined(separator: ", "))
            ), inserted AS (
              INSERT INTO signals (\(columns))
              SELECT \(selected) FROM batch
              ON CONFLICT (webhook_id, alert_id) DO NOTHING
              RETURNING id
            )
            INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
            SELECT b.user_id, '\(action.rawValue)', 'signal', b.entity_id, b.details, b.created_at
            FROM batch b JOIN inserted i ON i.id = b.id
            RETURNING entity_id
            """
    }
}

extension PostgresDatabase {
    /// Runs a prepared statement on a pooled connection and returns its rows.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row]
    where Statement.Row: Sendable {
        try await withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        }.get()
    }
}
