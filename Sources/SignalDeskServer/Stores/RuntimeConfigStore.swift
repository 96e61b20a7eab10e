import Fluent
import Foundation
import SQLKit

/// The `runtime_configs` table: one JSON body per kind and name.
struct RuntimeConfigStore {
    enum Kind: String {
        case riskProfile = "risk_profile"
        case strategyPolicy = "strategy_policy"
    }

    struct Row: Decodable {
        let kind: String
        let name: String
        let body: String
        let updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case kind, name, body
            case updatedAt = "updated_at"
        }
    }

    /// Every stored entry (a handful of rows).
    func all(on db: any Database) async throws -> [Row] {
        try await db.sql(for: "RuntimeConfigStore").raw(
            "SELECT kind, name, body, updated_at FROM runtime_configs ORDER BY kind, name"
        ).all(decoding: Row.self)
    }

    /// Creates or replaces one entry; two admins at once: the later write wins, neither fails.
    func upsert(kind: Kind, name: String, body: String, by admin: UUID, now: Date, on db: any Database) async throws {
        try await db.sql(for: "RuntimeConfigStore").raw(
            """
            INSERT INTO runtime_configs (id, kind, name, body, updated_by, updated_at)
            VALUES (\(bind: UUID()), \(bind: kind.rawValue), \(bind: name), \(bind: body), \(bind: admin), \(bind: now))
            ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by,
                updated_at = excluded.updated_at
            """
        ).run()
    }
}
