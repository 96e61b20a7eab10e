import Fluent
import SignalDeskCore

/// ``SignalWriteStore`` on SQLite: the signal and its audit row in one transaction, admitted by the
/// process's write gate (``SQLiteTransactionStore``) like every other transaction that writes.
///
/// SQLite has one writer, and a connection that finds the write lock taken retries at once, over
/// and over (SQLiteNIO's busy handler), on a thread of the pool. Outside the gate an alert that
/// arrived while the worker executed the previous one spun on a core until the worker's
/// transaction committed, and took that core from the very transaction it waited for: 200 alerts
/// sent one after another waited 16 ms each (p50) with the worker on, 0.9 ms with it off, and
/// most of the server's CPU meanwhile was SQLite's lock loop (docs/benchmarks.md, "Sequential
/// alerts and the idle server"). In the gate it waits without a thread, in arrival order.
struct SQLiteSignalWriteStore: SignalWriteStore {
    /// The process's ``SQLiteTransactionStore``, whose write gate admits these transactions.
    let transactions: SQLiteTransactionStore

    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws {
        try await transactions.writing {
            try await db.transaction { tx in
                try await signal.insert(auditedAs: .signalCreate, details: auditDetails, on: tx)
            }
        }
    }

    /// `endpoint` is not checked again: SQLite's endpoint store remembers nothing, so every
    /// alert was authenticated against the endpoint as it was read for that alert.
    func accept(
        _ signal: NewSignal, auditDetails: [String: AuditValue], endpoint: WebhookEndpointRow?,
        on db: @autoclosure () -> any Database
    ) async throws -> Bool {
        let db = db()
        do {
            try await transactions.writing {
                try await db.transaction { tx in
                    try await signal.insert(auditedAs: .webhookAccepted, details: auditDetails, on: tx)
                }
            }
            return true
        } catch let error as any DatabaseError
            where error.isConstraintFailure && String(describing: error).contains("UNIQUE constraint failed")
        {
            // The one unique constraint a new signal with a fresh id can break; a foreign key
            // (the user was removed meanwhile) is thrown, as on PostgreSQL.
            return false
        }
    }
}
