import Fluent
import SignalDeskCore

/// ``SignalWriteStore`` on PostgreSQL: one named prepared statement writes the signal and its
/// audit row, atomic on its own: one round trip instead of `BEGIN`, two inserts and `COMMIT`
/// (docs/architecture.md, "Other hot paths on PostgreSQL"). It is the webhook path's insert for
/// one row (``WebhookStatements/CreateSignal``), whose `ON CONFLICT (webhook_id, alert_id)` never
/// skips a signal without a webhook.
struct PostgresSignalWriteStore: SignalWriteStore {
    func create(_ signal: NewSignal, auditDetails: [String: AuditValue], on db: any Database) async throws {
        let stored = try await db.postgres(for: "PostgresSignalWriteStore").run(
            WebhookStatements.CreateSignal(
                row: .init(signal: signal, details: try AuditLog.detailsJSON(auditDetails))),
            logger: db.logger)
        guard stored == [signal.id.uuidString] else { throw SignalNotStored() }
    }
}
