import Fluent

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
