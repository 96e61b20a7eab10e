import Fluent

/// Refresh-token sessions: one row per issued refresh token, grouped in rotation families.
struct CreateSessions: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("sessions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("family_id", .uuid, .required)
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("replaced_by", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.createIndex("idx_sessions_user", on: "sessions", columns: ["user_id"])
        try await database.createIndex("idx_sessions_family", on: "sessions", columns: ["family_id"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("sessions").delete()
    }
}

/// TOTP enrolment: the sealed seed and the last accepted time step (a code is used once).
struct CreateTwoFactor: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("two_factor")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("secret_sealed", .string, .required)
            .field("enabled", .bool, .required)
            .field("last_used_step", .int64)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id")
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("two_factor").delete()
    }
}

/// Login attempts per account, for throttling that every server instance agrees on.
struct CreateLoginAttempts: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("login_attempts")
            .id()
            .field("email", .string, .required)
            .field("succeeded", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex(
            "idx_login_attempts_email_time", on: "login_attempts", columns: ["email", "created_at"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("login_attempts").delete()
    }
}
