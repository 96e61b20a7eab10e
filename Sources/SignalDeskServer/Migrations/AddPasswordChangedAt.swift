import Fluent

/// When each user's password was last set (issue 25, group 14: PASSWORD_MAX_AGE_DAYS). Existing
/// rows keep NULL, read as the account's creation time.
struct AddPasswordChangedAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("password_changed_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("password_changed_at").update()
    }
}
