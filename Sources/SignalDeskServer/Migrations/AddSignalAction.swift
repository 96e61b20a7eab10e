import Fluent
import SQLKit

/// Webhook alerts can close positions; a signal records whether it opens or closes.
struct AddSignalAction: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("signals")
            .field("action", .string, .required, .sql(.default("open")))
            .update()
    }

    func revert(on database: Database) async throws {
        try await database.schema("signals").deleteField("action").update()
    }
}

/// The audit chain's order: the sealer numbers rows as it chains them. Ids alone cannot be the
/// order on PostgreSQL, where a row can commit after a row with a larger id was already chained.
/// Unique, so two sealers can never fork the chain even if their locks failed.
struct AddAuditChainSequence: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("audit_log").field("chain_seq", .int64).update()
        try await database.createIndex("idx_audit_chain_seq", on: "audit_log", columns: ["chain_seq"], unique: true)
    }

    func revert(on database: Database) async throws {
        try await database.dropIndex("idx_audit_chain_seq")
        try await database.schema("audit_log").deleteField("chain_seq").update()
    }
}

/// PostgreSQL only: a signal the worker should execute (a webhook signal inserted, or one whose
/// lease returned it to `CREATED`) sends `NOTIFY signaldesk_signals` when its transaction commits,
/// so worker processes wake at once instead of at their next poll. A trigger, so the accept path
/// pays no extra round trip. SQLite has one process; it wakes its worker in memory.
struct AddSignalNotifyTrigger: AsyncMigration {
    static let channel = "signaldesk_signals"

    func prepare(on database: Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw(
            """
            CREATE OR REPLACE FUNCTION signaldesk_signal_ready() RETURNS trigger AS $$
            BEGIN
              PERFORM pg_notify('\(unsafeRaw: Self.channel)', '');
              RETURN NULL;
            END
            $$ LANGUAGE plpgsql
            """
        ).run()
        try await sql.raw(
            """
            CREATE TRIGGER signals_ready_insert AFTER INSERT ON signals
            FOR EACH ROW WHEN (\(unsafeRaw: SignalSQL.executedByWorker(column: "NEW.source")) AND NEW.status = \(SignalSQL.literal(.created)))
            EXECUTE FUNCTION signaldesk_signal_ready()
            """
        ).run()
        try await sql.raw(
            """
            CREATE TRIGGER signals_ready_update AFTER UPDATE OF status ON signals
            FOR EACH ROW WHEN (\(unsafeRaw: SignalSQL.executedByWorker(column: "NEW.source")) AND NEW.status = \(SignalSQL.literal(.created))
                AND OLD.status <> \(SignalSQL.literal(.created)))
            EXECUTE FUNCTION signaldesk_signal_ready()
            """
        ).run()
    }

    func revert(on database: Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("DROP TRIGGER IF EXISTS signals_ready_update ON signals").run()
        try await sql.raw("DROP TRIGGER IF EXISTS signals_ready_insert ON signals").run()
        try await sql.raw("DROP FUNCTION IF EXISTS signaldesk_signal_ready()").run()
    }
}
