import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The two statements of the webhook accept path on PostgreSQL, as named prepared statements:
/// each pooled connection parses and plans them once, and every later alert only binds and
/// executes (the unnamed statements SQLKit sends are parsed and planned on every request).
enum WebhookStatements {
    /// The endpoint and its owner's role for a webhook uuid.
    struct EndpointLookup: PostgresPreparedStatement {
        // Named explicitly: the default name is `String(reflecting: Self.self)`, which demangles
        // the type name on every execution.
        static let name = "signaldesk_webhook_endpoint"
        static let sql = """
            SELECT e.id, e.user_id, e.secret_sealed, e.secret_digest, e.enabled, u.role
            FROM webhook_endpoints e JOIN users u ON u.id = e.user_id
            WHERE e.webhook_uuid = $1
            """
        typealias Row = (UUID, UUID, String, String, Bool, String)

        let webhookUUID: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(webhookUUID)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            try row.decode(Row.self)
        }
    }

    /// The signal and its `webhook.accepted` audit row in one data-modifying statement (atomic on
    /// its own); a twin fails on the unique `(webhook_id, alert_id)` index.
    struct InsertAccepted: PostgresPreparedStatement {
        static let name = "signaldesk_webhook_insert_accepted"
        static let sql = """
            WITH inserted AS (
              INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action,
                entry_price, stop_loss, take_profit, qty, status, reason_codes, webhook_id, alert_id, body_hash,
                lease_count, created_at, updated_at)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0, $19, $19)
              RETURNING id
            )
            INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
            SELECT $2, 'webhook.accepted', 'signal', $20, $21, $19 FROM inserted
            """
        typealias Row = ()

        let signal: Signal
        let details: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 21)
            let id = try signal.requireID()
            bindings.append(id)
            bindings.append(signal.$user.id)
            bindings.append(signal.symbol)
            bindings.append(signal.module)
            bindings.append(signal.side.rawValue)
            bindings.append(signal.exchange)
            bindings.append(signal.source)
            bindings.append(signal.orderType)
            bindings.append(signal.action)
            bindings.append(signal.entryPrice)
            bindings.append(signal.stopLoss)
            bindings.append(signal.takeProfit)
            bindings.append(signal.qty)
            bindings.append(signal.status.rawValue)
            bindings.append(signal.reasonCodesJSON)
            bindings.append(signal.webhookID)
            bindings.append(signal.alertID)
            bindings.append(signal.bodyHash)
            bindings.append(signal.createdAt)
            bindings.append(id.uuidString)
            bindings.append(details)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }
}

extension PostgresDatabase {
    /// Runs a prepared statement on a pooled connection and returns its rows.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row]
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
