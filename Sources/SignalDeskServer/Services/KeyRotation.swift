import Fluent
import Foundation
import Logging
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
        let changes: [SealedSecretStore.Change]
    }

    private func rotate(_ table: SealedTable, dryRun: Bool, report: inout Report) async throws {
        let store = SealedSecretStore()
        var lastID: UUID?
        while true {
            let rows = try await store.rows(of: table, after: lastID, limit: Self.batchSize, on: db)
            guard let last = rows.last else { return }
            lastID = last.id

            var pending: [PendingUpdate] = []
            for row in rows {
                let id = row.id
                let owner = row.owner
                let exchange = row.exchange
                var changes: [SealedSecretStore.Change] = []
                var sealedValues = 0
                var unreadable = false
                for (column, value) in zip(table.columns, row.values) {
                    guard let sealed = value.sealed else { continue }
                    sealedValues += 1
                    guard KeyRing.keyID(ofSealed: sealed) != keyRing.activeKeyID else { continue }
                    guard let field = column.field(exchange) else {
                        unreadable = true
                        continue
                    }
                    do {
                        let plaintext = try keyRing.open(sealed, context: field.context(owner: owner))
                        changes.append(
                            SealedSecretStore.Change(
                                column: column.name, old: sealed,
                                new: try keyRing.seal(plaintext, context: field.context(owner: owner))))
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
        let store = SealedSecretStore()
        return try await db.transaction { tx in
            var written = 0
            for update in batch {
                let touched = try await store.reseal(
                    id: update.id, of: table, changes: update.changes, keyID: keyRing.activeKeyID, on: tx)
                if touched { written += 1 }
            }
            return written
        }
    }
}
