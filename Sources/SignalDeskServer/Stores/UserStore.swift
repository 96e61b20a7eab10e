import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The SQL of users as a whole (`users`, `login_attempts` and every table a user owns) beyond
/// Fluent's queries: what the smoke-user cleanup reads and deletes. The same SQL on both
/// databases, so one struct.
struct UserStore: Sendable {
    /// Tables with a `user_id` column and the time column that says when the user last touched a row.
    static let activity: [(table: String, column: String)] = [
        ("sessions", "created_at"), ("two_factor", "updated_at"), ("exchange_secrets", "updated_at"),
        ("strategy_assignments", "updated_at"), ("webhook_endpoints", "updated_at"), ("signals", "updated_at"),
        ("positions", "opened_at"), ("positions", "closed_at"), ("orders", "updated_at"),
        ("daily_risk_state", "updated_at"), ("outbox", "created_at"), ("idempotency_keys", "created_at"),
        ("audit_log", "created_at"),
    ]

    /// The tables whose rows a user owns (`user_id`) and that go with the user, children first, so
    /// no foreign key is left pointing at a deleted row. Audit rows are not among them: the log is
    /// hash-chained and append-only.
    static let owned = [
        "orders", "positions", "signals", "daily_risk_state", "idempotency_keys", "outbox", "webhook_endpoints",
        "strategy_assignments", "exchange_secrets", "two_factor", "sessions",
    ]

    /// How many users one round of deletes names (each statement binds one value per user).
    static let deleteChunk = 200

    /// The users whose email starts with `prefix` (compared exactly: no `LIKE` wildcards), ordered
    /// by email.
    func users(emailPrefix prefix: String, on db: any Database) async throws -> [User] {
        try await User.query(on: db)
            .filter(.custom(SQLText.hasPrefix("email", prefix)))
            .sort(\.$email).all()
    }

    /// The latest login attempt of each email that starts with `prefix`, whether it succeeded or not.
    func latestLoginAttempts(emailPrefix prefix: String, on db: any Database) async throws -> [String: Date] {
        let rows = try await db.sql(for: "UserStore").raw(
            """
            SELECT email, MAX(created_at) AS latest FROM login_attempts
            WHERE \(SQLText.hasPrefix("email", prefix)) GROUP BY email
            """
        ).all()
        var byEmail: [String: Date] = [:]
        for row in rows {
            if let date = try row.decode(column: "latest", as: Date?.self) {
                byEmail[try row.decode(column: "email", as: String.self)] = date
            }
        }
        return byEmail
    }

    /// Deletes `users` with every row they own (``owned``) and their login attempts, in rounds of
    /// ``deleteChunk`` users. Audit rows stay. Runs on `tx`: the caller's transaction, which holds
    /// the lock that keeps new rows pointing at these users out.
    func delete(users: [(id: UUID, email: String)], on tx: any Database) async throws {
        let sql = try tx.sql(for: "UserStore")
        for start in stride(from: 0, to: users.count, by: Self.deleteChunk) {
            let chunk = users[start..<min(start + Self.deleteChunk, users.count)]
            let ids = chunk.map(\.id)
            for table in Self.owned {
                try await sql.delete(from: table).where("user_id", .in, ids).run()
            }
            try await sql.delete(from: "login_attempts").where("email", .in, chunk.map(\.email)).run()
            try await sql.delete(from: "users").where("id", .in, ids).run()
        }
    }
}
