import Fluent

/// The audit log. Ids increase with insertion, which is the order the hash chain seals rows in;
/// `row_hash` stays null until the sealer has chained the row.
struct CreateAuditLog: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("audit_log")
            .field("id", .int64, .identifier(auto: true))
            .field("user_id", .uuid)
            .field("action", .string, .required)
            .field("entity_type", .string)
            .field("entity_id", .string)
            .field("details", .string)
            .field("created_at", .datetime, .required)
            .field("prev_hash", .string)
            .field("row_hash", .string)
            .create()
        try await database.createIndex("idx_audit_user_time", on: "audit_log", columns: ["user_id", "created_at"])
        try await database.createIndex("idx_audit_action_time", on: "audit_log", columns: ["action", "created_at"])
        try await database.createIndex("idx_audit_time", on: "audit_log", columns: ["created_at"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("audit_log").delete()
    }
}

/// Notifications waiting to be delivered (Telegram), retried with backoff.
struct CreateOutbox: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("outbox")
            .id()
            .field("user_id", .uuid, .references("users", "id", onDelete: .cascade))
            .field("channel", .string, .required)
            .field("payload", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .create()
        try await database.createIndex("idx_outbox_status_next", on: "outbox", columns: ["status", "next_attempt_at"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("outbox").delete()
    }
}

/// Platform settings (the kill switch among them), one row per key.
struct CreateSettings: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("settings")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("updated_by", .uuid)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("settings").delete()
    }
}

/// Answers remembered per `Idempotency-Key`, so a repeated request returns the first answer.
struct CreateIdempotencyKeys: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("idempotency_keys")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("scope", .string, .required)
            .field("key", .string, .required)
            .field("status_code", .int, .required)
            .field("response_body", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "scope", "key")
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("idempotency_keys").delete()
    }
}
