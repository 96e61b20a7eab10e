import Fluent

/// Idempotency keys remember the fingerprint of the request they were first used with, so the
/// same key with another payload is refused (409) instead of answered with the first answer
/// (issue 25, group 2). Rows written before have none and match any payload, as before. The index
/// serves the cleanup and the stats, which read by age.
struct AddIdempotencyRequestHash: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("idempotency_keys").field("request_hash", .string).update()
        try await database.createIndex("idx_idempotency_created", on: "idempotency_keys", columns: ["created_at"])
    }

    func revert(on database: Database) async throws {
        try await database.dropIndex("idx_idempotency_created")
        try await database.schema("idempotency_keys").deleteField("request_hash").update()
    }
}
