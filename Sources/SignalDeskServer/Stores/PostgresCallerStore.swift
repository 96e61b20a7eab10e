import Fluent
import Foundation
import PostgresNIO

/// ``CallerStore`` on PostgreSQL: the lookup as a named prepared statement.
struct PostgresCallerStore: CallerStore {
    /// The same query as on SQLite (``SQLiteCallerStore``) as a named prepared statement: planned
    /// as an unnamed statement on every request it cost PostgreSQL 0.24 ms of planning against
    /// 0.04 ms of running (`pg_stat_statements`), on every authenticated request.
    struct Lookup: PostgresPreparedStatement {
        static let name = "signaldesk_bearer_caller"
        static let sql = """
            SELECT u.email, u.role, u.display_name FROM users u
            WHERE u.id = $1 AND EXISTS (
              SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.family_id = $2
                AND s.revoked_at IS NULL AND s.expires_at > $3)
            """
        typealias Row = CallerRow

        let userID: UUID
        let family: UUID
        let now: Date

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(userID)
            bindings.append(family)
            bindings.append(now)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> CallerRow {
            let (email, role, displayName) = try row.decode((String, String, String?).self)
            return CallerRow(email: email, role: role, displayName: displayName)
        }
    }

    func caller(userID: UUID, family: UUID, now: Date, on db: any Database) async throws -> CallerRow? {
        try await db.postgres(for: "PostgresCallerStore").run(
            Lookup(userID: userID, family: family, now: now), logger: db.logger
        ).first
    }
}
