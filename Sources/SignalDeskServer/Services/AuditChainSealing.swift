import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Chains committed audit rows (``AuditChain``) and verifies the chain.
///
/// Writers insert rows unchained, so the request path never waits for the chain. The sealer takes
/// unchained rows in id order, in batches, and appends them after the chain's tip, numbering them
/// with `chain_seq`. One sealer at a time (``WriterLock/auditSealer``); the unique index on
/// `chain_seq` refuses a fork even if that failed. The SQL is ``AuditChainStore``'s.
struct AuditChainSealing {
    static let batchSize = 500

    let app: Application
    let db: any Database

    /// Chains up to ``batchSize`` rows; returns how many it chained.
    @discardableResult
    func sealPending(limit: Int = AuditChainSealing.batchSize) async throws -> Int {
        let transactions = app.stores.transactions
        let store = app.stores.auditChain
        // Nothing to chain: one read instead of a transaction and its lock (on SQLite, the write
        // gate and the write lock that every writer of the process waits for).
        guard try await store.hasPending(on: db) else { return 0 }
        return try await transactions.run(on: db) { tx in
            try await transactions.lock(.auditSealer, on: tx)
            let pending = try await store.pending(limit: limit, on: tx)
            guard !pending.isEmpty else { return 0 }
            let tip = try await store.tip(on: tx)
            let links = AuditChain.seal(pending, after: tip?.rowHash ?? AuditChain.genesis)
            try await store.append(links, after: tip?.sequence ?? 0, on: tx)
            return links.count
        }
    }

    /// Chains everything pending, then walks the whole chain page by page.
    func verify(pageSize: Int = 2_000) async throws -> (rows: Int, valid: Bool, firstBrokenID: Int?) {
        while try await sealPending() == Self.batchSize {}
        let store = app.stores.auditChain
        var tip = AuditChain.genesis
        var checked = 0
        var after: Int64 = 0
        while true {
            let page = try await store.chained(after: after, limit: pageSize, on: db)
            guard let last = page.last else { break }
            let result = AuditChain.verify(page.links, after: tip)
            checked += result.rows
            if !result.valid { return (checked, false, result.firstBrokenID) }
            tip = result.tip
            after = last
        }
        // A row that lost its place in the chain (its sequence cleared) is a break too.
        if let orphan = try await store.orphan(on: db) { return (checked, false, orphan) }
        return (checked, true, nil)
    }
}

/// Runs the sealer in the background: while rows keep coming, each is chained within about a
/// second of its commit; after passes that found nothing the sealer looks less often, every 2 s,
/// then every `idleInterval` (4 s), until it finds rows again. Rows come from every request and
/// process that audits, so nothing can wake it; an idle pass is one read (``AuditChainStore``'s
/// `hasPending`), where it used to be a transaction with the sealer's lock, every second.
final class AuditSealer: LifecycleHandler, Sendable {
    static let idleInterval: Duration = .seconds(4)

    let loop: BackgroundLoop

    init(interval: Duration = .seconds(1), idleInterval: Duration = AuditSealer.idleInterval) {
        loop = BackgroundLoop(name: "Audit chain sealer", interval: interval, idleInterval: idleInterval)
    }

    func didBootAsync(_ application: Application) async throws {
        loop.start(app: application, wakeup: nil, paced: Self.step)
    }

    /// One pass: a full batch means more is waiting; none at all, an idle pass.
    @Sendable static func step(_ app: Application) async throws -> BackgroundLoop.Pace {
        switch try await AuditChainSealing(app: app, db: try app.database).sealPending() {
        case AuditChainSealing.batchSize: .again
        case 0: .idle
        default: .worked
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop(logger: application.logger, deadline: application.shutdownDeadline)
    }
}
