import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// Claims and leases of signals in SQL (``SignalClaims`` runs them, each one statement). A claim
/// is atomic: on PostgreSQL the candidates are locked with `FOR UPDATE SKIP LOCKED`, so concurrent
/// claimers skip each other's rows instead of waiting; on SQLite one guarded
/// `UPDATE ... WHERE status = 'CREATED'` runs inside the write gate. Either way a signal
/// is handed to exactly one claimer. Statuses and the worker's predicate come from Core
/// (``SignalSQL``).
protocol ClaimStore: Sendable {
    /// Moves up to `limit` of `claimant`'s oldest waiting signals to executing, leased until
    /// `leaseUntil`; their ids. One statement, atomic by itself; on SQLite run inside the write
    /// gate (``TransactionStore/writing(_:)``).
    func claim(
        _ claimant: SignalClaims.Claimant, limit: Int, leaseUntil: Date, now: Date, on tx: any Database
    ) async throws -> [UUID]
}

extension ClaimStore {
    /// The `WHERE` part that picks `claimant`'s signals.
    static func owner(_ claimant: SignalClaims.Claimant) -> SQLQueryString {
        switch claimant {
        case .client(let userID): "user_id = \(bind: userID) AND source = '\(unsafeRaw: SignalSource.api.rawValue)'"
        case .worker: "\(unsafeRaw: SignalSQL.executedByWorker())"
        }
    }

    /// Whether `claimant` has a waiting signal: a read, so that a claim with nothing to take costs
    /// no transaction (on SQLite none that takes the write lock, on PostgreSQL no `BEGIN`, locking
    /// `SELECT` and `COMMIT`). The worker claims after every step that executed something, to find
    /// the queue empty, and on every poll.
    func hasWaiting(_ claimant: SignalClaims.Claimant, on db: any Database) async throws -> Bool {
        try await db.sql(for: "ClaimStore").raw(
            """
            SELECT id FROM signals WHERE status = \(SignalSQL.literal(.created)) AND \(Self.owner(claimant)) LIMIT 1
            """
        ).first() != nil
    }

    /// The `SET` part of a claim.
    static func claimed(leaseUntil: Date, now: Date) throws -> SQLQueryString {
        """
        status = \(SignalSQL.literal(try SignalStatus.created.applying(.claim))), lease_count = lease_count + 1, \
        leased_until = \(bind: leaseUntil), updated_at = \(bind: now)
        """
    }

    /// Applies lease expiry to every `EXECUTING` signal whose lease ran out: back to `CREATED`
    /// after its first claim, `EXPIRED` after a later one (``SignalStatus/applying(_:)``). The same
    /// SQL on both databases. Returns how many returned and how many expired.
    func expireLeases(now: Date, on db: any Database) async throws -> (returned: Int, expired: Int) {
        let sql = try db.sql(for: "ClaimStore")
        let executing = SignalSQL.literal(.executing)
        // Almost always no lease has run out: one read says so, where the two updates would each
        // take SQLite's write lock (and wait for it, spinning, while the worker or an alert
        // writes) to change nothing. The worker asks before every claim, and the sweeper every 15 s.
        let ended = try await sql.raw(
            "SELECT id FROM signals WHERE status = \(executing) AND leased_until < \(bind: now) LIMIT 1"
        ).first()
        guard ended != nil else { return (0, 0) }
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

/// PostgreSQL: the candidates in a CTE, locked `FOR UPDATE SKIP LOCKED`.
struct PostgresClaimStore: ClaimStore {
    func claim(
        _ claimant: SignalClaims.Claimant, limit: Int, leaseUntil: Date, now: Date, on tx: any Database
    ) async throws -> [UUID] {
        let waiting = SignalSQL.literal(.created)
        // The CTE runs once; an IN (subquery ... LIMIT) may be re-evaluated per row and lock more
        // rows than the limit.
        let rows = try await tx.sql(for: "PostgresClaimStore").raw(
            """
            WITH picked AS (
                SELECT id FROM signals WHERE status = \(waiting) AND \(Self.owner(claimant))
                ORDER BY created_at, id LIMIT \(bind: limit) FOR UPDATE SKIP LOCKED)
            UPDATE signals SET \(try Self.claimed(leaseUntil: leaseUntil, now: now)) FROM picked
            WHERE signals.id = picked.id AND signals.status = \(waiting)
            RETURNING signals.id
            """
        ).all()
        return try rows.map { try $0.decode(column: "id", as: UUID.self) }
    }
}

/// SQLite: one guarded `UPDATE`, inside the write gate.
struct SQLiteClaimStore: ClaimStore {
    func claim(
        _ claimant: SignalClaims.Claimant, limit: Int, leaseUntil: Date, now: Date, on tx: any Database
    ) async throws -> [UUID] {
        let waiting = SignalSQL.literal(.created)
        let rows = try await tx.sql(for: "SQLiteClaimStore").raw(
            """
            UPDATE signals SET \(try Self.claimed(leaseUntil: leaseUntil, now: now))
            WHERE status = \(waiting) AND id IN (
                SELECT id FROM signals WHERE status = \(waiting) AND \(Self.owner(claimant))
                ORDER BY created_at, id LIMIT \(bind: limit))
            RETURNING id
            """
        ).all()
        return try rows.map { try $0.decode(column: "id", as: UUID.self) }
    }
}
