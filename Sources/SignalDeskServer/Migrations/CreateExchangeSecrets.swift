import Fluent

struct CreateExchangeSecrets: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("exchange_secrets")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("exchange", .string, .required)
            .field("api_key_sealed", .string, .required)
            .field("api_secret_sealed", .string, .required)
            .field("api_key_masked", .string, .required)
            .field("key_id", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id", "exchange")
            .create()
        try await database.createIndex("idx_exchange_secrets_key_id", on: "exchange_secrets", columns: ["key_id"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("exchange_secrets").delete()
    }
}

/// Strategy per user and exchange; no row means enabled with SWING_V1.
struct CreateStrategyAssignments: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("strategy_assignments")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("exchange", .string, .required)
            .field("strategy_id", .string, .required)
            .field("enabled", .bool, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id", "exchange")
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("strategy_assignments").delete()
    }
}

/// One webhook endpoint per user: public uuid, sealed secret (for HMAC) and its digest (for
/// constant-time comparison of body secrets without unsealing).
struct CreateWebhookEndpoints: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("webhook_endpoints")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("webhook_uuid", .string, .required)
            .field("secret_sealed", .string, .required)
            .field("secret_digest", .string, .required)
            .field("enabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id")
            .unique(on: "webhook_uuid")
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("webhook_endpoints").delete()
    }
}
