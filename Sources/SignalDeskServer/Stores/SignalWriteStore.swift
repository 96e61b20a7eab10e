import Fluent
import SignalDeskCore

/// Writes new signals with their audit rows: `POST /signals` and webhook alerts.
protocol SignalWriteStore: Sendable {
    /// Stores `signal` and its `signal.create` audit row (with `auditDetails`) atomically: both or
    /// neither. Throws ``SignalNotStored`` when the database reported no error but kept no signal.
    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws

    /// Stores an accepted webhook alert with an alert id and its `webhook.accepted` audit row
    /// atomically; false (and nothing stored) when the signal's `(webhook_id, alert_id)` is taken.
    /// `db` is made only when the store needs it: on PostgreSQL alerts go through the
    /// application's batcher.
    ///
    /// With `endpoint` (the webhook's row as the caller authenticated the alert against it), the
    /// signal is stored only if, when it is written, that endpoint still has the same secret digest
    /// and owner, is enabled, and its owner's role is not `disabled`; otherwise nothing is stored
    /// and ``WebhookEndpointChanged`` is thrown. PostgreSQL checks this in the insert statement
    /// itself; SQLite, whose endpoint reads are never remembered, does not need to.
    func accept(
        _ signal: NewSignal, auditDetails: [String: AuditValue], endpoint: WebhookEndpointRow?,
        on db: @autoclosure () -> any Database
    ) async throws -> Bool
}

extension SignalWriteStore {
    /// ``accept(_:auditDetails:endpoint:on:)`` without checking the endpoint again.
    func accept(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: @autoclosure () -> any Database)
        async throws -> Bool
    {
        try await accept(signal, auditDetails: auditDetails, endpoint: nil, on: db())
    }
}

/// The webhook endpoint an alert was authenticated against changed before the alert was stored
/// (its secret, its switch or its owner's role), and nothing was stored: the alert must be
/// authenticated again against the endpoint as it is now.
struct WebhookEndpointChanged: Error, Equatable {}

/// The database reported success but the new signal is not stored (the request must fail rather
/// than answer with a signal that does not exist).
struct SignalNotStored: Error, CustomStringConvertible {
    var description: String { "the new signal was not stored" }
}
