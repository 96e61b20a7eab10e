import Fluent
import Foundation

/// The caller of a bearer token: its user, when the token's session family is still live.
/// Every authenticated request asks it once (``BearerAuthMiddleware``).
protocol CallerStore: Sendable {
    /// The user `userID` if its session family `family` is neither revoked nor expired at `now`;
    /// nil otherwise. The user's role is returned as stored (a disabled user is found too).
    func caller(userID: UUID, family: UUID, now: Date, on db: any Database) async throws -> CallerRow?
}

/// A caller as ``CallerStore`` reads it: one row of `users`.
struct CallerRow: Decodable, Sendable {
    let email: String
    let role: String
    let displayName: String?

    /// The lookup, one text for both databases: `$1` the user id, `$2` the session family, `$3`
    /// the time.
    static let lookupSQL = """
        SELECT u.email, u.role, u.display_name FROM users u
        WHERE u.id = $1 AND EXISTS (
          SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.family_id = $2
            AND s.revoked_at IS NULL AND s.expires_at > $3)
        """

    // Column names spelled out: SQLKit's convertFromSnakeCase converts every key of every row.
    enum CodingKeys: String, CodingKey {
        case email
        case role
        case displayName = "display_name"
    }
}
