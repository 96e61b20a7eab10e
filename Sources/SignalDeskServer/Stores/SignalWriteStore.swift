import Fluent
import SignalDeskCore

/// Writes new signals: `POST /signals`.
protocol SignalWriteStore: Sendable {
    /// Stores `signal` and its `signal.create` audit row (with `auditDetails`) atomically: both or
    /// neither. Throws ``SignalNotStored`` when the database reported no error but kept no signal.
    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws
}

/// The database reported success but the new signal is not stored (the request must fail rather
/// than answer with a signal that does not exist).
struct SignalNotStored: Error, CustomStringConvertible {
    var description: String { "the new signal was not stored" }
}
