import Fluent
import Foundation
import SQLKit

/// The SQL of refresh-token sessions (`sessions`) beyond Fluent's queries: the guarded rotation
/// that lets one of two concurrent refreshes win. The same SQL on both databases, so one struct.
struct SessionStore: Sendable {
    /// Revokes live session `sessionID` at `now` as replaced by `replacement`, unless it was revoked
    /// already. True when this call revoked it (only one caller can); runs on `tx`, the refresh's
    /// transaction.
    func revokeForRotation(
        sessionID: UUID, replacement: UUID, now: Date, on tx: any Database
    ) async throws -> Bool {
        let claimed = try await tx.sql(for: "SessionStore").update("sessions")
            .set("revoked_at", to: SQLBind(now))
            .set("replaced_by", to: SQLBind(replacement))
            .where("id", .equal, SQLBind(sessionID))
            .where("revoked_at", .is, SQLLiteral.null)
            .returning("id")
            .all()
        return !claimed.isEmpty
    }
}
