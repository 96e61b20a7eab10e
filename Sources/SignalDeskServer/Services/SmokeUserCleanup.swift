import Fluent
import Foundation
import SQLKit
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

    /// Tables with a `user_id` column and the time column that says when the user last touched a row.
    static let activity: [(table: String, column: String)] = [
        ("sessions", "created_at"), ("two_factor", "updated_at"), ("exchange_secrets", "updated_at"),
        ("strategy_assignments", "updated_at"), ("webhook_endpoints", "updated_at"), ("signals", "updated_at"),
        ("positions", "opened_at"), ("positions", "closed_at"), ("orders", "updated_at"),
        ("daily_risk_state", "updated_at"), ("outbox", "created_at"), ("idempotency_keys", "created_at"),
        ("audit_log", "created_at"),
    ]

    /// Deleted children first, so no foreign key is left pointing at a deleted row.
    static let owned = [
        "orders", "positions", "signals", "daily_risk_state", "idempotency_keys", "outbox", "webhook_endpoints",
        "strategy_assignments", "exchange_secrets", "two_factor", "sessions",
    ]

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
            let sql = try tx.sql(for: "SmokeUserCleanup")
            let scan = try await scan(olderThanDays: olderThanDays, now: now, on: tx)
            let doomed = scan.users.filter(\.eligibleForDelete)
            for chunk in stride(from: 0, to: doomed.count, by: 200).map({
                Array(doomed[$0..<min($0 + 200, doomed.count)])
            }) {
                let ids = chunk.map(\.userId)
                for table in Self.owned {
                    try await sql.delete(from: table).where("user_id", .in, ids).run()
                }
                try await sql.delete(from: "login_attempts").where("email", .in, chunk.map(\.email)).run()
                try await sql.delete(from: "users").where("id", .in, ids).run()
            }
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
        let smoke = try await User.query(on: db)
            .filter(.custom(SQLText.hasPrefix("email", SmokeUsers.prefix)))
            .sort(\.$email).all()
        guard !smoke.isEmpty else { return Scan(olderThanDays: olderThanDays, users: []) }
        let facts = OpsFacts(db: db, store: app.stores.opsFacts)
        var latest: [UUID: Date] = [:]
        func merge(_ values: [UUID: Date]) {
            for (id, date) in values where latest[id].map({ date > $0 }) ?? true { latest[id] = date }
        }
        let smokeIDs = Set(try smoke.map { try $0.requireID() })
        for source in Self.activity {
            merge(try await facts.latest(table: source.table, column: source.column, users: smokeIDs))
        }
        let attempts = try await db.sql(for: "SmokeUserCleanup").raw(
            """
            SELECT email, MAX(created_at) AS latest FROM login_attempts
            WHERE \(SQLText.hasPrefix("email", SmokeUsers.prefix)) GROUP BY email
            """
        ).all()
        var byEmail: [String: Date] = [:]
        for row in attempts {
            if let date = try row.decode(column: "latest", as: Date?.self) {
                byEmail[try row.decode(column: "email", as: String.self)] = date
            }
        }
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
