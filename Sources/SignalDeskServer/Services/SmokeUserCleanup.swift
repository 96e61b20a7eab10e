import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// `POST /ops/admin/cleanup-smoke-users`: removes idle `smoke.` accounts with everything they own.
///
/// A user's last activity is the latest time found in any table that records something they did
/// (their own row, sessions, login attempts, 2FA, secrets, assignments, webhook endpoints,
/// signals, positions, orders, daily risk, outbox, idempotency keys, audit rows). Audit rows are
/// kept: the log is hash-chained and append-only, and a deleted user's trail is still evidence.
struct SmokeUserCleanup {
    let app: Application
    let db: any Database

    struct UserOut: Content {
        let userId: UUID
        let email: String
        let lastActivityAt: Date
        let eligibleForDelete: Bool
    }

    struct Report: Content {
        let dryRun: Bool
        let olderThanDays: Int
        let scanned: Int
        let eligible: Int
        let deleted: Int
        let users: [UserOut]
    }

    func run(dryRun: Bool, olderThanDays: Int, now: Date? = nil) async throws -> Report {
        let now = now ?? app.wallClock.now()
        if dryRun {
            return try await scan(olderThanDays: olderThanDays, now: now, on: db).report(dryRun: true, deleted: 0)
        }
        // Read and delete in one transaction, so a user who becomes active meanwhile is not
        // deleted. (Login attempts and audit rows have no foreign key to wait on the lock.)
        let transactions = app.stores.transactions
        return try await transactions.run(on: db) { tx in
            // New rows that point at these users (sessions, signals...) wait for this transaction.
            try await transactions.lock(.smokeUsers, on: tx)
            let scan = try await scan(olderThanDays: olderThanDays, now: now, on: tx)
            let doomed = scan.users.filter(\.eligibleForDelete)
            try await UserStore().delete(users: doomed.map { ($0.userId, $0.email) }, on: tx)
            return scan.report(dryRun: false, deleted: doomed.count)
        }
    }

    private struct Scan {
        let olderThanDays: Int
        let users: [UserOut]

        func report(dryRun: Bool, deleted: Int) -> Report {
            Report(
                dryRun: dryRun, olderThanDays: olderThanDays, scanned: users.count,
                eligible: users.filter(\.eligibleForDelete).count, deleted: deleted, users: users)
        }
    }

    private func scan(olderThanDays: Int, now: Date, on db: any Database) async throws -> Scan {
        let store = UserStore()
        let smoke = try await store.users(emailPrefix: SmokeUsers.prefix, on: db)
        guard !smoke.isEmpty else { return Scan(olderThanDays: olderThanDays, users: []) }
        let facts = OpsFacts(db: db, store: app.stores.opsFacts)
        var latest: [UUID: Date] = [:]
        func merge(_ values: [UUID: Date]) {
            for (id, date) in values where latest[id].map({ date > $0 }) ?? true { latest[id] = date }
        }
        let smokeIDs = Set(try smoke.map { try $0.requireID() })
        for source in UserStore.activity {
            merge(try await facts.latest(table: source.table, column: source.column, users: smokeIDs))
        }
        let byEmail = try await store.latestLoginAttempts(emailPrefix: SmokeUsers.prefix, on: db)
        let users = try smoke.map { user -> UserOut in
            let id = try user.requireID()
            let last = [user.createdAt, user.updatedAt, latest[id], byEmail[user.email]].compactMap { $0 }.max() ?? now
            return UserOut(
                userId: id, email: user.email, lastActivityAt: last,
                eligibleForDelete: SmokeUsers.eligible(lastActivity: last, now: now, olderThanDays: olderThanDays))
        }
        return Scan(olderThanDays: olderThanDays, users: users)
    }
}
