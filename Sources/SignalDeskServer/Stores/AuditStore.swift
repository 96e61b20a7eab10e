import Fluent
import Foundation
import SQLKit

/// Writes `audit_log` rows (``AuditLog`` redacts and encodes their details first; the chain's
/// columns are ``AuditChainStore``'s).
enum AuditStore {
    /// Inserts one unchained row. SQLKit rather than a Fluent model: every audited request writes
    /// one row, and creating a model reflects over all of its fields.
    static func insert(
        action: String, userID: UUID?, entityType: String?, entityID: String?, detailsJSON: String?, at date: Date,
        on db: any Database
    ) async throws {
        try await db.sql(for: "AuditStore").insert(into: AuditEntry.schema)
            .columns("user_id", "action", "entity_type", "entity_id", "details", "created_at")
            .values(
                SQLBind(userID), SQLBind(action), SQLBind(entityType), SQLBind(entityID), SQLBind(detailsJSON),
                SQLBind(date)
            )
            .run()
    }

    /// One row of ``insertMany(_:at:on:)``.
    struct Row: Sendable {
        let action: String
        let userID: UUID?
        let entityType: String?
        let entityID: String?
        let detailsJSON: String?
    }

    /// Inserts unchained rows written at `date` in one statement.
    static func insertMany(_ rows: [Row], at date: Date, on db: any Database) async throws {
        guard !rows.isEmpty else { return }
        var insert = try db.sql(for: "AuditStore").insert(into: AuditEntry.schema)
            .columns("user_id", "action", "entity_type", "entity_id", "details", "created_at")
        for row in rows {
            insert = insert.values(
                SQLBind(row.userID), SQLBind(row.action), SQLBind(row.entityType), SQLBind(row.entityID),
                SQLBind(row.detailsJSON), SQLBind(date))
        }
        try await insert.run()
    }
}
