import Fluent

/// Webhook alerts can close positions; a signal records whether it opens or closes.
struct AddSignalAction: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("signals")
            .field("action", .string, .required, .sql(.default("open")))
            .update()
    }

    func revert(on database: Database) async throws {
        try await database.schema("signals").deleteField("action").update()
    }
}
