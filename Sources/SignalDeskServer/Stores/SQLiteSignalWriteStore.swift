import Fluent
import SignalDeskCore

/// ``SignalWriteStore`` on SQLite: the signal and its audit row in one transaction.
struct SQLiteSignalWriteStore: SignalWriteStore {
    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws {
        try await db.transaction { tx in
            try await signal.insert(auditedAs: .signalCreate, details: auditDetails, on: tx)
        }
    }

    func accept(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: @autoclosure () -> any Database)
        async throws -> Bool
    {
        do {
            try await db().transaction { tx in
                try await signal.insert(auditedAs: .webhookAccepted, details: auditDetails, on: tx)
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
