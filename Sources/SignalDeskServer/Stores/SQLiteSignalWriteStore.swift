import Fluent
import SignalDeskCore

/// ``SignalWriteStore`` on SQLite: the signal and its audit row in one transaction.
struct SQLiteSignalWriteStore: SignalWriteStore {
    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws {
        try await db.transaction { tx in
            try await signal.insert(auditedAs: .signalCreate, details: auditDetails, on: tx)
        }
    }
}
