import Fluent
import Foundation
import SQLKit

/// The SQL of TOTP enrolments (`two_factor`) beyond Fluent's queries: the compare-and-set that
/// spends a code once, and the enabled users the security posture counts. The same SQL on both
/// databases, so one struct.
struct TwoFactorStore: Sendable {
    /// Records `step` as enrolment `enrolmentID`'s last accepted time step, unless a step at or
    /// after it was recorded already. True when this call recorded it: of two concurrent logins
    /// with the same code, one wins.
    func spend(step: Int64, enrolmentID: UUID, now: Date, on db: any Database) async throws -> Bool {
        let updated = try await db.sql(for: "TwoFactorStore").update(TwoFactor.schema)
            .set("last_used_step", to: SQLBind(step))
            .set("updated_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(enrolmentID))
            .where { clause in
                clause.where("last_used_step", .is, SQLLiteral.null)
                    .orWhere("last_used_step", .lessThan, SQLBind(step))
            }
            .returning("id")
            .all()
        return !updated.isEmpty
    }

    /// The users whose 2FA is enabled (only `user_id` is read: no sealed seed is loaded).
    func enabledUserIDs(on db: any Database) async throws -> Set<UUID> {
        Set(
            try await db.sql(for: "TwoFactorStore").select().column("user_id").from(TwoFactor.schema)
                .where("enabled", .equal, true).all(decodingColumn: "user_id", as: UUID.self))
    }
}
