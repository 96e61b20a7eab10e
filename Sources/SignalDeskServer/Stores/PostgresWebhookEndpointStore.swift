import Fluent
import Foundation
import Logging
import PostgresNIO

/// ``WebhookEndpointStore`` on PostgreSQL: concurrent lookups share one statement
/// (``StatementBatcher``), a named prepared statement that each pooled connection parses and plans
/// once, so every later alert only binds and executes.
struct PostgresWebhookEndpointStore: WebhookEndpointStore {
    /// Groups the lookups of concurrent alerts.
    let batcher: StatementBatcher<String, WebhookEndpointRow?>

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
        try await batcher.submit(uuid)
    }
}
