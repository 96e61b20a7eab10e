import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Vapor

/// Chains committed audit rows (``AuditChain``) and verifies the chain.
///
/// Writers insert rows unchained, so the request path never waits for the chain. The sealer takes
/// unchained rows in id order, in batches, and appends them after the chain's tip, numbering them
/// with `chain_seq`. One sealer at a time: a transaction-scoped advisory lock on PostgreSQL (any
/// number of processes), the write gate on SQLite (one process); the unique index on `chain_seq`
/// refuses a fork even if both failed.
struct AuditChainStore {
    static let batchSize = 500
    /// `pg_advisory_xact_lock` key of the sealer (any constant; "SDaudit" in ASCII).
    static let sealerLockKey: Int64 = 0x5344_6175_6469_74

    let app: Application
    let db: any Database

    /// Chains up to ``batchSize`` rows; returns how many it chained.
    @discardableResult
    func sealPending(limit: Int = AuditChainStore.batchSize) async throws -> Int {
        let transactions = TradingTransactions(app: app, db: db)
        let postgres = transactions.isPostgres
        return try await transactions.run { tx in
            let sql = tx as! any SQLDatabase
            if postgres {
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.sealerLockKey))").run()
            }
            // Plain SQL rows decoded column by column: Fluent models cost reflection over every
            // field of every row, `Decodable` a decoder per row, and this runs for every audited
            // request.
            let read = Self.pendingRead(limit: limit, postgres: postgres)
            if let setting = read.setting { try await sql.raw(setting).run() }
            let pending = try await sql.raw(read.query).all().map(Self.pendingContent)
            guard !pending.isEmpty else { return 0 }
            let tip = try await sql.raw(
                """
                SELECT row_hash, chain_seq FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1
                """
            ).first(decoding: TipRow.self)
            var sequence = tip?.chainSeq ?? 0
            let links = AuditChain.seal(pending, after: tip?.rowHash ?? AuditChain.genesis)
            // One statement for the batch: `UPDATE ... FROM (VALUES ...)`, which both databases
            // accept (VALUES columns are `column1`, `column2`, ... in both).
            var rows: [SQLQueryString] = []
            for link in links {
                sequence += 1
                rows.append(
                    "(\(bind: link.content.id), \(bind: link.prevHash), \(bind: link.rowHash), \(bind: sequence))")
            }
            try await sql.raw(
                """
                UPDATE audit_log SET prev_hash = v.column2, row_hash = v.column3, chain_seq = v.column4
                FROM (VALUES \(rows.joined(separator: ", "))) AS v
                WHERE audit_log.id = v.column1 AND audit_log.chain_seq IS NULL
                """
            ).run()
            return links.count
        }
    }

    /// How the sealer reads up to `limit` unchained rows in id order, inside its transaction:
    /// `setting` first (if any), then `query` (answered from `idx_audit_pending`, ``AddAuditPendingIndex``).
    ///
    /// On PostgreSQL the setting turns bitmap scans off. The planner estimates few unchained rows
    /// and would read `idx_audit_pending` with a bitmap scan and sort; a bitmap scan visits the
    /// entries of every row sealed since the last VACUUM on every pass and never marks them dead,
    /// while the plain index scan it gets instead reads in id order, stops after `limit` rows and
    /// marks those entries dead as it passes them, so later passes skip them. The setting lasts to
    /// the end of the transaction; its other statements (tip, update) use plain index scans anyway.
    static func pendingRead(limit: Int, postgres: Bool) -> (setting: SQLQueryString?, query: SQLQueryString) {
        (
            postgres ? "SET LOCAL enable_bitmapscan = off" : nil,
            """
            SELECT id, user_id, action, entity_type, entity_id, details, created_at FROM audit_log
            WHERE chain_seq IS NULL ORDER BY id LIMIT \(bind: limit)
            """
        )
    }

    /// Chains everything pending, then walks the whole chain page by page.
    func verify(pageSize: Int = 2_000) async throws -> (rows: Int, valid: Bool, firstBrokenID: Int?) {
        while try await sealPending() == Self.batchSize {}
        var tip = AuditChain.genesis
        var checked = 0
        var after: Int64 = 0
        while true {
            let page = try await AuditEntry.query(on: db)
                .filter(\.$chainSeq > after).sort(\.$chainSeq).limit(pageSize).all()
            guard let last = page.last else { break }
            let links = try page.map { row in
                AuditChain.Link(
                    content: try Self.content(row), prevHash: row.prevHash ?? "", rowHash: row.rowHash ?? "")
            }
            let result = AuditChain.verify(links, after: tip)
            checked += result.rows
            if !result.valid { return (checked, false, result.firstBrokenID) }
            tip = result.tip
            after = last.chainSeq ?? after
        }
        // A row that lost its place in the chain (its sequence cleared) is a break too.
        if let orphan = try await AuditEntry.query(on: db).filter(\.$chainSeq == nil).filter(\.$rowHash != nil).sort(
            \.$id
        ).first() {
            return (checked, false, orphan.id)
        }
        return (checked, true, nil)
    }

    private static func pendingContent(_ row: any SQLRow) throws -> AuditChain.Content {
        AuditChain.Content(
            id: try row.decode(column: "id", as: Int.self), userID: try row.decode(column: "user_id", as: UUID?.self),
            action: try row.decode(column: "action", as: String.self),
            entityType: try row.decode(column: "entity_type", as: String?.self),
            entityID: try row.decode(column: "entity_id", as: String?.self),
            details: try row.decode(column: "details", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self))
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

    static func content(_ row: AuditEntry) throws -> AuditChain.Content {
        AuditChain.Content(
            id: try row.requireID(), userID: row.userID, action: row.action, entityType: row.entityType,
            entityID: row.entityID, details: row.details, createdAt: row.createdAt)
    }
}

/// Runs the sealer in the background: within about a second of a row's commit it is chained.
final class AuditSealer: LifecycleHandler, Sendable {
    let loop: BackgroundLoop

    init(interval: Duration = .seconds(1)) {
        loop = BackgroundLoop(name: "Audit chain sealer", interval: interval)
    }

    func didBootAsync(_ application: Application) async throws {
        loop.start(app: application, wakeup: nil) { app in
            try await AuditChainStore(app: app, db: app.db).sealPending() == AuditChainStore.batchSize
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }
}
