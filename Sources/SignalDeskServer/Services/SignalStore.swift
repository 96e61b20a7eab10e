import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Vapor

/// Claims and leases of signals. Claims are atomic: on PostgreSQL the candidates are locked with
/// `FOR UPDATE SKIP LOCKED`, so concurrent claimers skip each other's rows instead of waiting; on
/// SQLite one guarded `UPDATE ... WHERE status = 'CREATED'` runs inside the serialized
/// transaction. Either way a signal is handed to exactly one claimer.
struct SignalStore {
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
        let waiting = SignalSQL.literal(.created)
        let claimed = SignalSQL.literal(try SignalStatus.created.applying(.claim))
        let clientDriven = SignalSource.api.rawValue
        let postgres = TradingTransactions(app: app, db: db).isPostgres
        let ids: [UUID] = try await TradingTransactions(app: app, db: db).run { tx in
            let sql = tx as! any SQLDatabase
            let owner: SQLQueryString =
                switch claimant {
                case .client(let userID): "user_id = \(bind: userID) AND source = '\(unsafeRaw: clientDriven)'"
                case .worker: "\(unsafeRaw: SignalSQL.executedByWorker())"
                }
            let set: SQLQueryString = """
                status = \(claimed), lease_count = lease_count + 1, leased_until = \(bind: leaseUntil), updated_at = \(bind: now)
                """
            let rows: [any SQLRow]
            if postgres {
                // The CTE runs once; an IN (subquery ... LIMIT) may be re-evaluated per row and
                // lock more rows than the limit.
                rows = try await sql.raw(
                    """
                    WITH picked AS (
                        SELECT id FROM signals WHERE status = \(waiting) AND \(owner)
                        ORDER BY created_at, id LIMIT \(bind: limit) FOR UPDATE SKIP LOCKED)
                    UPDATE signals SET \(set) FROM picked
                    WHERE signals.id = picked.id AND signals.status = \(waiting)
                    RETURNING signals.id
                    """
                ).all()
            } else {
                rows = try await sql.raw(
                    """
                    UPDATE signals SET \(set)
                    WHERE status = \(waiting) AND id IN (
                        SELECT id FROM signals WHERE status = \(waiting) AND \(owner)
                        ORDER BY created_at, id LIMIT \(bind: limit))
                    RETURNING id
                    """
                ).all()
            }
            return try rows.map { try $0.decode(column: "id", as: UUID.self) }
        }
        guard !ids.isEmpty else { return [] }
        return try await Signal.query(on: db).filter(\.$id ~~ ids).sort(\.$createdAt).sort(\.$id).all()
    }

    /// Applies lease expiry to every `EXECUTING` signal whose lease ran out: back to `CREATED`
    /// after its first claim, `EXPIRED` after a later one (``SignalStatus/applying(_:)``).
    /// Returns how many returned and how many expired.
    func expireLeases(now: Date? = nil) async throws -> (returned: Int, expired: Int) {
        let now = now ?? app.wallClock.now()
        let sql = db as! any SQLDatabase
        let executing = SignalSQL.literal(.executing)
        // The lifecycle's answers for a lease that ran out after the first claim and after a later one.
        let returnedTo = SignalSQL.literal(try SignalStatus.executing.applying(.leaseExpired(previousLeases: 1)))
        let expiredTo = SignalSQL.literal(try SignalStatus.executing.applying(.leaseExpired(previousLeases: 2)))
        let expired = try await sql.raw(
            """
            UPDATE signals SET status = \(expiredTo), reason_codes = \(bind: ReasonCodes.encode(["lease_expired"])),
                leased_until = NULL, updated_at = \(bind: now)
            WHERE status = \(executing) AND leased_until < \(bind: now) AND lease_count >= 2
            RETURNING id
            """
        ).all().count
        let returned = try await sql.raw(
            """
            UPDATE signals SET status = \(returnedTo), leased_until = NULL, updated_at = \(bind: now)
            WHERE status = \(executing) AND leased_until < \(bind: now) AND lease_count <= 1
            RETURNING id
            """
        ).all().count
        return (returned, expired)
    }
}
