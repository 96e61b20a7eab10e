import Fluent
import SQLKit

/// The audit sealer's work list as an index of its own.
///
/// The sealer asks for unchained rows in id order (`WHERE chain_seq IS NULL ORDER BY id LIMIT n`).
/// Before this migration PostgreSQL answered from the unique index on `chain_seq`, which holds an
/// entry for every row ever inserted unchained: sealing a row writes a new version of it, and the
/// old version's `NULL` entry stays until VACUUM, so each pass read every row sealed since the
/// last VACUUM again (a bitmap scan, which never marks such entries dead), and the query slowed
/// as the log grew (docs/benchmarks.md: 32-36 ms per pass after 20,000 rows were sealed).
/// - `idx_audit_pending (id) WHERE chain_seq IS NULL`: only unchained rows, already in the
///   sealer's order; a plain index scan (``PostgresAuditChainStore``) stops after `n`
///   rows and marks entries of sealed rows dead as it passes them, so later passes skip them.
/// - The uniqueness of `chain_seq` moves to `idx_audit_chain_seq_set ... WHERE chain_seq IS NOT
///   NULL` (the same rule: unchained rows never conflicted), so inserting an audit row no longer
///   writes a `NULL` entry there. It is created before the old index is dropped: the chain is
///   never without the rule.
struct AddAuditPendingIndex: AsyncMigration {
    func prepare(on database: Database) async throws {
        let chainSeq = SQLColumn("chain_seq")
        try await database.createIndex(
            "idx_audit_pending", on: "audit_log", columns: ["id"],
            where: SQLBinaryExpression(chainSeq, .is, SQLLiteral.null))
        try await database.createIndex(
            "idx_audit_chain_seq_set", on: "audit_log", columns: ["chain_seq"], unique: true,
            where: SQLBinaryExpression(chainSeq, .isNot, SQLLiteral.null))
        try await database.dropIndex("idx_audit_chain_seq")
    }

    func revert(on database: Database) async throws {
        try await database.createIndex("idx_audit_chain_seq", on: "audit_log", columns: ["chain_seq"], unique: true)
        try await database.dropIndex("idx_audit_chain_seq_set")
        try await database.dropIndex("idx_audit_pending")
    }
}
