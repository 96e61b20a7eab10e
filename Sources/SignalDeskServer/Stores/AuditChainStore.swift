import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The SQL of the audit chain (``AuditChainSealing``): unchained rows, the chain's tip, the links
/// of a batch, and the chain page by page. Only the read of unchained rows differs between the
/// databases; everything else is one text for both.
protocol AuditChainStore: Sendable {
    /// Up to `limit` unchained rows in id order, read inside the sealer's transaction `tx`.
    func pending(limit: Int, on tx: any Database) async throws -> [AuditChain.Content]
}

extension AuditChainStore {
    /// The read of unchained rows (answered from `idx_audit_pending`, ``AddAuditPendingIndex``).
    static func pendingQuery(limit: Int) -> SQLQueryString {
        """
        SELECT id, user_id, action, entity_type, entity_id, details, created_at FROM audit_log
        WHERE chain_seq IS NULL ORDER BY id LIMIT \(bind: limit)
        """
    }

    /// Plain SQL rows decoded column by column: Fluent models cost reflection over every field of
    /// every row, `Decodable` a decoder per row, and the sealer reads every audited request's row.
    static func readPending(limit: Int, on sql: any SQLDatabase) async throws -> [AuditChain.Content] {
        try await sql.raw(pendingQuery(limit: limit)).all().map { row in
            AuditChain.Content(
                id: try row.decode(column: "id", as: Int.self),
                userID: try row.decode(column: "user_id", as: UUID?.self),
                action: try row.decode(column: "action", as: String.self),
                entityType: try row.decode(column: "entity_type", as: String?.self),
                entityID: try row.decode(column: "entity_id", as: String?.self),
                details: try row.decode(column: "details", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: Date.self))
        }
    }

    /// Whether any row is unchained: one read of `idx_audit_pending` in id order (a plain index
    /// scan, which stops at the first entry), outside any transaction. An idle sealer asks only this
    /// instead of opening a transaction, taking its lock and reading the batch.
    func hasPending(on db: any Database) async throws -> Bool {
        try await db.sql(for: "AuditChainStore").raw(
            "SELECT id FROM audit_log WHERE chain_seq IS NULL ORDER BY id LIMIT 1"
        ).first() != nil
    }

    /// The last chained row's hash and sequence number; nil while the chain is empty.
    func tip(on tx: any Database) async throws -> (rowHash: String?, sequence: Int64)? {
        try await tx.sql(for: "AuditChainStore").raw(
            """
            SELECT row_hash, chain_seq FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1
            """
        ).first(decoding: TipRow.self).map { ($0.rowHash, $0.chainSeq ?? 0) }
    }

    /// Writes `links` as the chain's next rows, numbered after `sequence`, in one statement:
    /// `UPDATE ... FROM (VALUES ...)`, which both databases accept (VALUES columns are `column1`,
    /// `column2`, ... in both). A row chained meanwhile is left as it is.
    func append(_ links: [AuditChain.Link], after sequence: Int64, on tx: any Database) async throws {
        var next = sequence
        var rows: [SQLQueryString] = []
        for link in links {
            next += 1
            rows.append("(\(bind: link.content.id), \(bind: link.prevHash), \(bind: link.rowHash), \(bind: next))")
        }
        try await tx.sql(for: "AuditChainStore").raw(
            """
            UPDATE audit_log SET prev_hash = v.column2, row_hash = v.column3, chain_seq = v.column4
            FROM (VALUES \(rows.joined(separator: ", "))) AS v
            WHERE audit_log.id = v.column1 AND audit_log.chain_seq IS NULL
            """
        ).run()
    }

    /// Up to `limit` chained rows after sequence number `sequence`, in chain order, as links.
    func chained(after sequence: Int64, limit: Int, on db: any Database) async throws
        -> (links: [AuditChain.Link], last: Int64?)
    {
        let page = try await AuditEntry.query(on: db)
            .filter(\.$chainSeq > sequence).sort(\.$chainSeq).limit(limit).all()
        let links = try page.map { row in
            AuditChain.Link(content: try Self.content(row), prevHash: row.prevHash ?? "", rowHash: row.rowHash ?? "")
        }
        return (links, page.last?.chainSeq)
    }

    /// The first row that lost its place in the chain (hashed, its sequence cleared), if any.
    func orphan(on db: any Database) async throws -> Int? {
        try await AuditEntry.query(on: db).filter(\.$chainSeq == nil).filter(\.$rowHash != nil).sort(\.$id).first()?
            .id
    }

    static func content(_ row: AuditEntry) throws -> AuditChain.Content {
        AuditChain.Content(
            id: try row.requireID(), userID: row.userID, action: row.action, entityType: row.entityType,
            entityID: row.entityID, details: row.details, createdAt: row.createdAt)
    }
}

private struct TipRow: Decodable {
    let rowHash: String?
    let chainSeq: Int64?

    // Column names spelled out: SQLKit's convertFromSnakeCase converts every key of every row.
    enum CodingKeys: String, CodingKey {
        case rowHash = "row_hash"
        case chainSeq = "chain_seq"
    }
}

/// ``AuditChainStore`` on PostgreSQL: the read of unchained rows turns bitmap scans off first.
///
/// The planner estimates few unchained rows and would read `idx_audit_pending` with a bitmap scan
/// and sort; a bitmap scan visits the entries of every row sealed since the last VACUUM on every
/// pass and never marks them dead, while the plain index scan it gets instead reads in id order,
/// stops after `limit` rows and marks those entries dead as it passes them, so later passes skip
/// them. The setting lasts to the end of the transaction; its other statements (tip, update) use
/// plain index scans anyway.
struct PostgresAuditChainStore: AuditChainStore {
    static let bitmapScansOff: SQLQueryString = "SET LOCAL enable_bitmapscan = off"

    func pending(limit: Int, on tx: any Database) async throws -> [AuditChain.Content] {
        let sql = try tx.sql(for: "PostgresAuditChainStore")
        try await sql.raw(Self.bitmapScansOff).run()
        return try await Self.readPending(limit: limit, on: sql)
    }
}

/// ``AuditChainStore`` on SQLite.
struct SQLiteAuditChainStore: AuditChainStore {
    func pending(limit: Int, on tx: any Database) async throws -> [AuditChain.Content] {
        try await Self.readPending(limit: limit, on: try tx.sql(for: "SQLiteAuditChainStore"))
    }
}
