import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The lifecycle steps of `signals` rows that services write outside the claim (``ClaimStore``):
/// a conditional status change and the reason codes. Statuses come from Core's ``SignalStatus``.
/// The SQL is the same on PostgreSQL and SQLite, so this is one store.
struct SignalStateStore: Sendable {
    /// Moves the signal `signalID` from `from` to `to`, only while it is still `from`: false when
    /// it was not (a concurrent change), which then is not overwritten.
    func transitionSignal(
        _ signalID: UUID, from: SignalStatus, to: SignalStatus, now: Date, on db: any Database
    ) async throws -> Bool {
        let changed = try await db.sql(for: "SignalStateStore").raw(
            """
            UPDATE signals SET status = \(bind: to.rawValue), updated_at = \(bind: now)
            WHERE id = \(bind: signalID) AND status = \(bind: from.rawValue)
            RETURNING id
            """
        ).all()
        return !changed.isEmpty
    }

    /// Sets the reason codes of the signal `signalID` (why it was rejected or failed).
    func setReasonCodes(_ reasons: [String], signalID: UUID, on db: any Database) async throws {
        try await db.sql(for: "SignalStateStore").update("signals")
            .set("reason_codes", to: SQLBind(ReasonCodes.encode(reasons)))
            .where("id", .equal, SQLBind(signalID)).run()
    }
}
