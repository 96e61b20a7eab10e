import Fluent

/// Subscriptions (issue 24): one row per user at most.
struct CreateSubscriptions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("subscriptions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("plan", .string, .required)
            .field("status", .string, .required)
            .field("current_period_end", .datetime)
            .field("updated_by", .uuid)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id")
            .create()
        try await database.schema("subscription_notices")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("day", .string, .required)
            .field("key", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "key")
            .unique(on: "user_id", "day")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("subscription_notices").delete()
        try await database.schema("subscriptions").delete()
    }
}
