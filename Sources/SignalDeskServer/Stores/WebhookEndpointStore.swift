import Fluent
import Foundation
import SignalDeskCore

/// Webhook endpoints as the accept path reads them: the endpoint of a webhook uuid with its
/// owner's id and role, in one query. Plain SQL with only the columns the accept path reads:
/// building a Fluent join of two whole models cost more CPU than anything else on this path
/// (reflection over every field, an alias per column).
protocol WebhookEndpointStore: Sendable {
    /// The endpoint of `uuid` (a UUID in lower case), nil when there is none. `db` is made only
    /// when the store needs it: on PostgreSQL lookups go through the application's batcher.
    func endpoint(uuid: String, on db: @autoclosure () -> any Database) async throws -> WebhookEndpointRow?

    /// The endpoint of `uuid` as an earlier ``endpoint(uuid:on:)`` read it, without asking the
    /// database; nil when there is none in memory (always on SQLite). It may be out of date: a
    /// caller may use it only to store alerts through ``SignalWriteStore/accept(_:auditDetails:endpoint:on:)``,
    /// which stores nothing unless the endpoint still has that secret digest, is enabled and its
    /// owner is not disabled when the alert is written (``WebhookEndpointChanged``).
    func remembered(uuid: String) -> WebhookEndpointRow?
}

extension WebhookEndpointStore {
    func remembered(uuid: String) -> WebhookEndpointRow? { nil }
}

/// One webhook endpoint as the accept path reads it.
struct WebhookEndpointRow: Sendable, Equatable {
    let webhookUUID: String
    let id: UUID
    let userID: UUID
    let secretSealed: String
    let secretDigest: String
    let enabled: Bool
    let role: String
    /// Taken from the store's memory (``WebhookIntake/remembered(uuid:digest:app:)``), not read for
    /// this alert.
    var remembered = false

    /// The owner's role; an unknown role reads as disabled.
    var ownerRole: UserRole { UserRole(rawValue: role) ?? .disabled }

    /// The columns, in this order, and the tables both stores read them from; each adds its own
    /// `WHERE` on `e.webhook_uuid` (one uuid on SQLite, a group of them on PostgreSQL).
    static let selectSQL = """
        SELECT e.webhook_uuid, e.id, e.user_id, e.secret_sealed, e.secret_digest, e.enabled, u.role
        FROM webhook_endpoints e JOIN users u ON u.id = e.user_id
        """
}
