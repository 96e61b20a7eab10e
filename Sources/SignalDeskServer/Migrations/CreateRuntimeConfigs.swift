import Fluent

/// Trading settings admins change at run time (issue 25, groups 11 and 12): risk profiles
/// (`kind` `risk_profile`, `name` the profile) and strategy runtime policies (`kind`
/// `strategy_policy`, `name` `STRATEGY/EXCHANGE`), each a JSON body in the API's field names.
struct CreateRuntimeConfigs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("runtime_configs")
            .id()
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("body", .string, .required)
            .field("updated_by", .uuid)
            .field("updated_at", .datetime, .required)
            .unique(on: "kind", "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("runtime_configs").delete()
    }
}
