import Fluent

/// Wallet sign-in (issue 22): one Ethereum address per wallet user, stored lower-case so that
/// lookups ignore the case it was written in.
struct CreateWalletIdentities: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("wallet_identities")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("address", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id")
            .unique(on: "address")
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("wallet_identities").delete()
    }
}

/// The sign-in messages the server issued: single use (`used_at`), bound to an address, valid
/// until `expires_at`. In the database, so every server instance agrees on them.
struct CreateWalletNonces: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("wallet_nonces")
            .id()
            .field("nonce", .string, .required)
            .field("address", .string, .required)
            .field("message", .string, .required)
            .field("issued_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "nonce")
            .create()
        try await database.createIndex("idx_wallet_nonces_expires", on: "wallet_nonces", columns: ["expires_at"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("wallet_nonces").delete()
    }
}

/// dYdX credentials per user and network: the mnemonic sealed with the key ring (`key_id` names
/// its key, for rotation and the posture) and the dYdX address derived from it.
struct CreateDydxCredentials: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("dydx_credentials")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("network", .string, .required)
            .field("mnemonic_sealed", .string, .required)
            .field("address", .string, .required)
            .field("key_id", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id", "network")
            .create()
        try await database.createIndex("idx_dydx_credentials_key_id", on: "dydx_credentials", columns: ["key_id"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("dydx_credentials").delete()
    }
}
