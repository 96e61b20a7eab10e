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
        let ids: [UUID] = try await app.stores.transactions.run(on: db) { tx in
            try await claims.claim(claimant, limit: limit, leaseUntil: leaseUntil, now: now, on: tx)
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
