import Fluent
import Foundation
import SQLKit

/// ``CallerStore`` on SQLite: plain SQL through SQLKit.
struct SQLiteCallerStore: CallerStore {
    func caller(userID: UUID, family: UUID, now: Date, on db: any Database) async throws -> CallerRow? {
        // Plain SQL decoded as Codable: a Fluent join of two models cost reflection over every
        // field of both on every authenticated request.
        try await db.sql(for: "SQLiteCallerStore").raw(
            """
            SELECT u.email, u.role, u.display_name FROM users u
            WHERE u.id = \(bind: userID) AND EXISTS (
              SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.family_id = \(bind: family)
                AND s.revoked_at IS NULL AND s.expires_at > \(bind: now))
            """
        ).first(decoding: CallerRow.self)
    }
}
