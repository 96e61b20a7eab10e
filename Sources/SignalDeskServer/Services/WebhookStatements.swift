import Foundation
import Logging
import NIOCore
import PostgresNIO
import SignalDeskCore

/// The statements of the webhook accept path on PostgreSQL: the endpoint lookup, a named prepared
/// statement (each pooled connection parses and plans it once, and every later alert only binds
/// and executes), and the insert of a group of accepted alerts (see ``StatementBatcher``).
enum WebhookStatements {
    /// The endpoints and their owners' roles for a group of webhook uuids (see
    /// ``StatementBatcher``): one statement serves every alert that arrived meanwhile.
    struct EndpointLookup: PostgresPreparedStatement {
        // Named explicitly: the default name is `String(reflecting: Self.self)`, which demangles
        // the type name on every execution.
        static let name = "signaldesk_webhook_endpoints"
        static let sql = """
            SELECT e.webhook_uuid, e.id, e.user_id, e.secret_sealed, e.secret_digest, e.enabled, u.role
            FROM webhook_endpoints e JOIN users u ON u.id = e.user_id
            WHERE e.webhook_uuid = ANY($1)
            """
        typealias Row = Endpoint

        let webhookUUIDs: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(webhookUUIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (uuid, id, userID, sealed, digest, enabled, role) = try row.decode(
                (String, UUID, UUID, String, String, Bool, String).self)
            return Endpoint(
                webhookUUID: uuid, id: id, userID: userID, secretSealed: sealed, secretDigest: digest, enabled: enabled,
                role: role)
        }
    }

    /// One webhook endpoint as the accept path reads it.
    struct Endpoint: Sendable, Equatable {
        let webhookUUID: String
        let id: UUID
        let userID: UUID
        let secretSealed: String
        let secretDigest: String
        let enabled: Bool
        let role: String

        /// The owner's role; an unknown role reads as disabled.
        var ownerRole: UserRole { UserRole(rawValue: role) ?? .disabled }
    }

    /// The endpoint of each uuid of a group (nil when there is none), in order.
    static func lookUp(_ uuids: [String], on postgres: any PostgresDatabase, logger: Logger) async throws -> [Endpoint?]
    {
        let unique = Array(Set(uuids))
        var found: [String: Endpoint] = [:]
        for endpoint in try await postgres.run(EndpointLookup(webhookUUIDs: unique), logger: logger) {
            found[endpoint.webhookUUID] = endpoint
        }
        return uuids.map { found[$0] }
    }

    /// One accepted alert: its new signal and its audit details.
    struct Accepted: Sendable {
        let signal: NewSignal
        let details: String
    }

    /// The signals of a group of accepted alerts and their `webhook.accepted` audit rows, in one
    /// data-modifying statement (atomic on its own, one commit for the group). A signal whose
    /// `(webhook_id, alert_id)` is taken, by an earlier alert or by a twin in the same group, is
    /// skipped, and so is its audit row (signals without a webhook never conflict); the statement
    /// returns the ids of the signals it stored.
    static func insertAccepted(_ rows: [Accepted]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * acceptedColumnTypes.count)
        for row in rows { append(row, to: &bindings) }
        return PostgresQuery(unsafeSQL: insertSQL(rowCount: rows.count, action: .webhookAccepted), binds: bindings)
    }

    /// The bindings of one row of ``insertSQL(rowCount:action:)``'s `VALUES`, in column order.
    static func append(_ row: Accepted, to bindings: inout PostgresBindings) {
        let signal = row.signal
        bindings.append(signal.id)
        bindings.append(signal.userID)
        bindings.append(signal.symbol)
        bindings.append(signal.module)
        bindings.append(signal.side.rawValue)
        bindings.append(signal.exchange)
        bindings.append(signal.source)
        bindings.append(signal.orderType)
        bindings.append(signal.action)
        bindings.append(signal.baseRiskPercent)
        bindings.append(signal.entryPrice)
        bindings.append(signal.stopLoss)
        bindings.append(signal.takeProfit)
        bindings.append(signal.qty)
        bindings.append(signal.webhookID)
        bindings.append(signal.alertID)
        bindings.append(signal.bodyHash)
        bindings.append(signal.createdAt)
        bindings.append(signal.id.uuidString)
        bindings.append(row.details)
    }

    /// The insert statement for `rowCount` signals, their parameters numbered from `$1`.
    static func insertSQL(rowCount: Int, action: AuditAction) -> String {
        let values = (0..<rowCount).map { row in
            let first = row * acceptedColumnTypes.count + 1
            let casts = acceptedColumnTypes.enumerated().map { "$\(first + $0.offset)::\($0.element)" }
            return "(" + casts.joined(separator: ", ") + ")"
        }
        return """
            WITH batch (id, user_id, symbol, module, side, exchange, source, order_type, action, base_risk_percent,
              entry_price, stop_loss, take_profit, qty, webhook_id, alert_id, body_hash, created_at, entity_id,
              details) AS (
              VALUES \(values.joined(separator: ", "))
            ), inserted AS (
              INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action,
                base_risk_percent, entry_price, stop_loss, take_profit, qty, status, reason_codes, webhook_id,
                alert_id, body_hash, lease_count, created_at, updated_at)
              SELECT id, user_id, symbol, module, side, exchange, source, order_type, action, base_risk_percent,
                entry_price, stop_loss, take_profit, qty, '\(NewSignal.status.rawValue)', '\(NewSignal.reasonCodesJSON)',
                webhook_id, alert_id, body_hash, 0, created_at, created_at
              FROM batch
              ON CONFLICT (webhook_id, alert_id) DO NOTHING
              RETURNING id
            )
            INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
            SELECT b.user_id, '\(action.rawValue)', 'signal', b.entity_id, b.details, b.created_at
            FROM batch b JOIN inserted i ON i.id = b.id
            RETURNING entity_id
            """
    }

    /// `POST /signals`: one signal and its `signal.create` audit row, as a named prepared statement.
    /// Planning the insert took PostgreSQL about as long as running it (`pg_stat_statements`:
    /// 0.29 ms of 0.75 ms per call); a prepared statement is planned once per connection.
    struct CreateSignal: PostgresPreparedStatement {
        static let name = "signaldesk_signal_create"
        static let sql = WebhookStatements.insertSQL(rowCount: 1, action: .signalCreate)
        typealias Row = String

        let row: Accepted

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: acceptedColumnTypes.count)
            WebhookStatements.append(row, to: &bindings)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
    }

    /// The SQL types of one row of ``insertAccepted(_:)``'s `VALUES`, in binding order.
    static let acceptedColumnTypes = [
        "uuid", "uuid", "text", "text", "text", "text", "text", "text", "text", "float8",
        "float8", "float8", "float8", "float8", "uuid", "text", "text", "timestamptz", "text",
        "text",
    ]

    /// Stores a group of accepted alerts; for each, whether its signal was stored (false: its
    /// alert id was taken).
    static func storeAccepted(_ rows: [Accepted], on postgres: any PostgresDatabase, logger: Logger) async throws
        -> [Bool]
    {
        let result = try await postgres.withConnection { connection in
            connection.query(insertAccepted(rows), logger: logger)
        }.get()
        var stored = Set<String>()
        for row in result.rows { stored.insert(try row.decode(String.self)) }
        return rows.map { stored.contains($0.signal.id.uuidString) }
    }
}

extension PostgresDatabase {
    /// Runs a prepared statement on a pooled connection and returns its rows.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement
        .Row]
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
