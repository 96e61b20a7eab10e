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
    func accept(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: @autoclosure () -> any Database)
        async throws -> Bool
}

/// The database reported success but the new signal is not stored (the request must fail rather
/// than answer with a signal that does not exist).
struct SignalNotStored: Error, CustomStringConvertible {
    var description: String { "the new signal was not stored" }
}
