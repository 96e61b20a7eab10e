import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// ``WebhookEndpointStore`` on PostgreSQL: concurrent lookups share one statement
/// (``StatementBatcher``), a named prepared statement that each pooled connection parses and plans
/// once, so every later alert only binds and executes.
struct PostgresWebhookEndpointStore: WebhookEndpointStore {
    /// Groups the lookups of concurrent alerts.
    let batcher: StatementBatcher<String, WebhookEndpointRow?>
    /// The endpoints found by lookups, by uuid (``remembered(uuid:)``): an alert whose secret
    /// matches one is stored without a lookup, by a statement that checks the endpoint again.
    let memory = Memory()

    /// Endpoints read from the database, at most `limit` (emptied when full).
    final class Memory: Sendable {
        static let limit = 10_000
        private let rows = NIOLockedValueBox<[String: WebhookEndpointRow]>([:])

        subscript(uuid: String) -> WebhookEndpointRow? { rows.withLockedValue { $0[uuid] } }

        func set(_ uuid: String, _ row: WebhookEndpointRow?) {
            rows.withLockedValue { rows in
                if row != nil, rows[uuid] == nil, rows.count >= Self.limit { rows.removeAll(keepingCapacity: true) }
                rows[uuid] = row
            }
        }
    }

    /// The endpoints and their owners' roles for a group of webhook uuids.
    struct Lookup: PostgresPreparedStatement {
        // Named explicitly: the default name is `String(reflecting: Self.self)`, which demangles
        // the type name on every execution.
        static let name = "signaldesk_webhook_endpoints"
        static let sql = WebhookEndpointRow.selectSQL + "\nWHERE e.webhook_uuid = ANY($1)"
        typealias Row = WebhookEndpointRow

        let webhookUUIDs: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(webhookUUIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (uuid, id, userID, sealed, digest, enabled, role) = try row.decode(
                (String, UUID, UUID, String, String, Bool, String).self)
            return WebhookEndpointRow(
                webhookUUID: uuid, id: id, userID: userID, secretSealed: sealed, secretDigest: digest, enabled: enabled,
                role: role)
        }
    }

    /// The endpoint of each uuid of a group (nil when there is none), in order: the batcher's
    /// statement.
    static func lookUp(_ uuids: [String], on postgres: any PostgresDatabase, logger: Logger) async throws
        -> [WebhookEndpointRow?]
    {
        let unique = Array(Set(uuids))
        var found: [String: WebhookEndpointRow] = [:]
        for endpoint in try await postgres.run(Lookup(webhookUUIDs: unique), logger: logger) {
            found[endpoint.webhookUUID] = endpoint
        }
        return uuids.map { found[$0] }
    }

    func endpoint(uuid: String, on db: @autoclosure () -> any Database) async throws -> WebhookEndpointRow? {
        let row = try await batcher.submit(uuid)
        memory.set(uuid, row)
        return row
    }

    func remembered(uuid: String) -> WebhookEndpointRow? { memory[uuid] }
}
