import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Claims and leases of signals: the transaction and the rows around ``ClaimStore``'s SQL.
/// Either database hands a signal to exactly one claimer.
struct SignalClaims {
    let app: Application
    let db: any Database

    /// Who may claim which signals: clients claim their own `api` signals; the execution worker
    /// claims webhook signals of every user.
    enum Claimant: Sendable {
        case client(userID: UUID)
        case worker
    }

    func claim(_ claimant: Claimant, limit: Int, now: Date? = nil) async throws -> [Signal] {
        let now = now ?? app.wallClock.now()
        let leaseUntil = now.addingTimeInterval(Double(app.appConfig.signalLeaseSeconds))
        let claims = app.stores.claims
        // Nothing waiting (a signal committed after this read wakes its worker again).
        guard try await claims.hasWaiting(claimant, on: db) else { return [] }
        // The claim is one statement, atomic by itself: no transaction around it (on PostgreSQL
        // that was a BEGIN and a COMMIT more; on SQLite those and a write to take the lock first),
        // only the write gate on SQLite. A lost claim returns its signals to the queue, so its
        // commit is not waited for on the disk (``Durability/deferred``).
        let ids: [UUID] = try await app.stores.transactions.writing(on: db, durability: .deferred) { db in
            try await claims.claim(claimant, limit: limit, leaseUntil: leaseUntil, now: now, on: db)
        }
        guard !ids.isEmpty else { return [] }
        return try await Signal.query(on: db).filter(\.$id ~~ ids).sort(\.$createdAt).sort(\.$id).all()
    }

    /// Applies lease expiry (``ClaimStore/expireLeases(now:on:)``). Returns how many returned
    /// and how many expired.
    func expireLeases(now: Date? = nil) async throws -> (returned: Int, expired: Int) {
        try await app.stores.claims.expireLeases(now: now ?? app.wallClock.now(), on: db)
    }
}
