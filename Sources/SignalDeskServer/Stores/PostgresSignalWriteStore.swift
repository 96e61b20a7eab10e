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
    let acceptBatcher: StatementBatcher<Accepted, AcceptOutcome>

    /// One new signal and the JSON details of its audit row; for a webhook alert, the endpoint
    /// it was authenticated against, checked again by the insert.
    struct Accepted: Sendable {
        let signal: NewSignal
        let details: String
        var endpoint: WebhookEndpointRow? = nil
    }

    /// What the grouped insert did with one alert.
    enum AcceptOutcome: Sendable, Equatable {
        case stored
        /// Its `(webhook_id, alert_id)` is taken.
        case taken
        /// Its endpoint no longer has the secret digest, owner, switch or owner role it was
        /// authenticated with (``WebhookEndpointChanged``).
        case endpointChanged
    }

    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws {
        let stored = try await db.postgres(for: "PostgresSignalWriteStore").run(
            CreateSignal(row: .init(signal: signal, details: try AuditLog.detailsJSON(auditDetails))),
            logger: db.logger)
        guard stored == [signal.id.uuidString] else { throw SignalNotStored() }
    }

    func accept(
        _ signal: NewSignal, auditDetails: [String: AuditValue], endpoint: WebhookEndpointRow?,
        on db: @autoclosure () -> any Database
    ) async throws -> Bool {
        let accepted = Accepted(signal: signal, details: try AuditLog.detailsJSON(auditDetails), endpoint: endpoint)
        switch try await acceptBatcher.submit(accepted) {
        case .stored: return true
        case .taken: return false
        case .endpointChanged: throw WebhookEndpointChanged()
        }
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
        -> [AcceptOutcome]
    {
        var stored = Set<String>()
        var refused = Set<String>()
        for (id, wasStored) in try await postgres.run(AcceptGroup(rows: rows), logger: logger) {
            if wasStored { stored.insert(id) } else { refused.insert(id) }
        }
        return rows.map {
            let id = $0.signal.id.uuidString
            return stored.contains(id) ? .stored : refused.contains(id) ? .endpointChanged : .taken
        }
    }

    /// ``storeAccepted(_:on:logger:)``'s statement, prepared once per connection: each column of
    /// the group is one array parameter, so every group size has the same text and plan. (Its first
    /// form, a `VALUES` row per alert, was a new text for each group size and was planned for every
    /// group: `pg_stat_statements` with `track_planning` showed 0.30 ms of planning per group beside
    /// 0.75 ms of execution, the statement PostgreSQL runs one group at a time.)
    struct AcceptGroup: PostgresPreparedStatement {
        static let name = "signaldesk_webhook_accept"
        static let sql = PostgresSignalWriteStore.acceptSQL
        typealias Row = (String, Bool)

        let rows: [Accepted]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: PostgresSignalWriteStore.acceptColumnTypes.count)
            try PostgresSignalWriteStore.appendColumns(rows.map(\.signal.values), to: &bindings)
            bindings.append(PostgresNullableArray(rows.map { Optional($0.signal.id.uuidString) }))
            bindings.append(PostgresNullableArray(rows.map { Optional($0.details) }))
            bindings.append(PostgresNullableArray(rows.map { $0.endpoint?.secretDigest }))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (String, Bool) { try row.decode((String, Bool).self) }
    }

    /// A signal column whose values are not all of one type (a programming error; the group fails
    /// instead of binding a wrong value).
    struct MixedColumn: Error {}

    /// Binds the signals' values column by column, one array per column of ``NewSignal/boundColumns``.
    static func appendColumns(_ rows: [[NewSignal.Value]], to bindings: inout PostgresBindings) throws {
        guard let first = rows.first else { return }
        for column in first.indices {
            /// The column's values as one array, each row's value taken out by `value` (nil when the
            /// row's value is of another type).
            func array<Element>(_ value: (NewSignal.Value) -> Element??) throws -> PostgresNullableArray<Element> {
                PostgresNullableArray(
                    try rows.map { row in
                        guard let element = value(row[column]) else { throw MixedColumn() }
                        return element
                    })
            }
            switch first[column] {
            case .uuid: bindings.append(try array { if case .uuid(let v) = $0 { v } else { nil } })
            case .text: bindings.append(try array { if case .text(let v) = $0 { v } else { nil } })
            case .double: bindings.append(try array { if case .double(let v) = $0 { v } else { nil } })
            case .date: bindings.append(try array { if case .date(let v) = $0 { .some(v) } else { nil } })
            }
        }
    }

    /// The types of ``acceptSQL``'s columns (each bound as an array of them): ``batchColumnTypes``
    /// and the secret digest the alert was authenticated with (NULL: not checked).
    static let acceptColumnTypes = batchColumnTypes + ["text"]

    /// The roles whose webhooks may store alerts (every role but `disabled`).
    static let acceptingRoles = UserRole.allCases.filter { $0 != .disabled }.map { "'\($0.rawValue)'" }
        .joined(separator: ", ")

    /// The webhook accept path's statement for a group of alerts, one array parameter per column
    /// (``acceptColumnTypes``): like ``insertSQL(rowCount:action:)`` with `webhook.accepted`, but an
    /// alert with a secret digest is stored only if its endpoint (`webhook_id`) still belongs to its
    /// user, has that digest, is enabled and its owner's role is not `disabled`, read by this
    /// statement. Returns one row per stored signal (`entity_id`, true) and one per alert refused
    /// for its endpoint (`entity_id`, false); an alert with neither had its `(webhook_id, alert_id)`
    /// taken.
    static let acceptSQL: String = {
        let arrays = acceptColumnTypes.enumerated().map { "$\($0.offset + 1)::\($0.element)[]" }
        let bound = NewSignal.boundColumns.map(\.rawValue).joined(separator: ", ")
        let columns = NewSignal.columns.map(\.rawValue).joined(separator: ", ")
        let selected = NewSignal.columns.map { NewSignal.fixedSQL($0) ?? $0.rawValue }.joined(separator: ", ")
        return """
            WITH batch (\(bound), entity_id, details, endpoint_digest) AS (
              SELECT * FROM unnest(\(arrays.joined(separator: ", ")))
            ), valid AS MATERIALIZED (
              SELECT * FROM batch b
              WHERE b.endpoint_digest IS NULL OR EXISTS (
                SELECT 1 FROM webhook_endpoints e JOIN users u ON u.id = e.user_id
                WHERE e.id = b.webhook_id AND e.user_id = b.user_id AND e.secret_digest = b.endpoint_digest
                  AND e.enabled AND u.role IN (\(acceptingRoles)))
            ), inserted AS (
              INSERT INTO signals (\(columns))
              SELECT \(selected) FROM valid
              ON CONFLICT (webhook_id, alert_id) DO NOTHING
              RETURNING id
            ), audited AS (
              INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
              SELECT v.user_id, '\(AuditAction.webhookAccepted.rawValue)', 'signal', v.entity_id, v.details, v.created_at
              FROM valid v JOIN inserted i ON i.id = v.id
              RETURNING entity_id
            )
            SELECT entity_id, true FROM audited
            UNION ALL
            SELECT b.entity_id, false FROM batch b WHERE NOT EXISTS (SELECT 1 FROM valid v WHERE v.id = b.id)
            """
    }()

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
