import Fluent
import Foundation
import Logging
import SQLKit
import SignalDeskCore

/// Re-seals every stored secret that is not under the active key of the ring.
///
/// Rows are read in id order in batches of at most 500; each batch's writes are one transaction,
/// and each write is conditional on the row still holding the value that was read, so a secret a
/// user replaces meanwhile is never overwritten with an older one. A value that cannot be opened
/// (its key is not in the ring, or it fails authentication) leaves its row untouched, counted in
/// `failed` and logged by table and id only. Nothing is held open between batches, so the server
/// keeps serving while this runs.
struct KeyRotation {
    static let batchSize = 500

    let keyRing: KeyRing
    let db: any Database
    let logger: Logger

    struct Report: Codable, Equatable, Sendable {
        var dryRun: Bool
        var scanned = 0
        var updated = 0
        var failed = 0
        var activeKeyId: String
    }

    func run(dryRun: Bool) async throws -> Report {
        var report = Report(dryRun: dryRun, activeKeyId: keyRing.activeKeyID)
        for table in SealedTable.all {
            try await rotate(table, dryRun: dryRun, report: &report)
        }
        return report
    }

    private struct PendingUpdate {
        let id: UUID
        /// (column, value read, value re-sealed)
        let changes: [(column: String, old: String, new: String)]
    }

    private func rotate(_ table: SealedTable, dryRun: Bool, report: inout Report) async throws {
        let sql = db as! any SQLDatabase
        var lastID: UUID?
        while true {
            var query = sql.select().column("id").column(SQLColumn(table.ownerColumn), as: "owner")
                .columns(table.columns.map { SQLColumn($0.name) })
                .from(table.name)
                .orderBy("id")
                .limit(Self.batchSize)
            if table.hasExchangeColumn { query = query.column("exchange") }
            if let lastID { query = query.where("id", .greaterThan, SQLBind(lastID)) }
            let rows = try await query.all()
            guard let last = rows.last else { return }
            lastID = try last.decode(column: "id", as: UUID.self)

            var pending: [PendingUpdate] = []
            for row in rows {
                let id = try row.decode(column: "id", as: UUID.self)
                let owner = try row.decode(column: "owner", as: UUID.self)
                let exchange =
                    table.hasExchangeColumn
                    ? Exchange(rawValue: try row.decode(column: "exchange", as: String.self)) : nil
                var changes: [(String, String, String)] = []
                var sealedValues = 0
                var unreadable = false
                for column in table.columns {
                    guard let sealed = try row.decode(column: column.name, as: String?.self) else { continue }
                    sealedValues += 1
                    guard KeyRing.keyID(ofSealed: sealed) != keyRing.activeKeyID else { continue }
                    guard let field = column.field(exchange) else {
                        unreadable = true
                        continue
                    }
                    do {
                        let plaintext = try keyRing.open(sealed, context: field.context(owner: owner))
                        changes.append(
                            (column.name, sealed, try keyRing.seal(plaintext, context: field.context(owner: owner))))
                    } catch {
                        logger.warning("Key rotation: cannot open \(table.name).\(column.name) of row \(id) (\(error))")
                        unreadable = true
                    }
                }
                guard sealedValues > 0 else { continue }
                report.scanned += 1
                if unreadable {
                    report.failed += 1
                } else if !changes.isEmpty {
                    pending.append(PendingUpdate(id: id, changes: changes))
                }
            }
            if dryRun {
                report.updated += pending.count
            } else if !pending.isEmpty {
                report.updated += try await write(pending, to: table)
            }
            if rows.count < Self.batchSize { return }
        }
    }

    /// Writes one batch in one transaction; returns how many rows were still as read.
    private func write(_ batch: [PendingUpdate], to table: SealedTable) async throws -> Int {
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            var written = 0
            for update in batch {
                var statement = sql.update(table.name).where("id", .equal, SQLBind(update.id))
                for change in update.changes {
                    statement = statement.set(SQLColumn(change.column), to: SQLBind(change.new))
                        .where(SQLColumn(change.column), .equal, SQLBind(change.old))
                }
                if let keyIDColumn = table.keyIDColumn {
                    statement = statement.set(SQLColumn(keyIDColumn), to: SQLBind(keyRing.activeKeyID))
                }
                let touched = try await statement.returning("id").all()
                written += touched.count
            }
            return written
        }
    }
}
