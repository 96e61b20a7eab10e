import Fluent
import Foundation
import SQLKit

/// ``WebhookEndpointStore`` on SQLite: one query per alert.
struct SQLiteWebhookEndpointStore: WebhookEndpointStore {
    func endpoint(uuid: String, on db: @autoclosure () -> any Database) async throws -> WebhookEndpointRow? {
        let query: SQLQueryString = "\(unsafeRaw: WebhookEndpointRow.selectSQL) WHERE e.webhook_uuid = \(bind: uuid)"
        return try await db().sql(for: "SQLiteWebhookEndpointStore").raw(query).first().map { row in
            WebhookEndpointRow(
                webhookUUID: try row.decode(column: "webhook_uuid", as: String.self),
                id: try row.decode(column: "id", as: UUID.self),
                userID: try row.decode(column: "user_id", as: UUID.self),
                secretSealed: try row.decode(column: "secret_sealed", as: String.self),
                secretDigest: try row.decode(column: "secret_digest", as: String.self),
                enabled: try row.decode(column: "enabled", as: Bool.self),
                role: try row.decode(column: "role", as: String.self))
        }
    }
}
