import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The lifecycle steps of `signals` rows that services write outside the claim (``ClaimStore``):
/// a conditional status change, with the reason codes of a refusal or a failure. Statuses come from Core's ``SignalStatus``.
/// The SQL is the same on PostgreSQL and SQLite, so this is one store.
struct SignalStateStore: Sendable {
    /// Moves the signal `signalID` from `from` to `to`, only while it is still `from`: false when
    /// it was not (a concurrent change), which then is not overwritten.
    /// With `reasons`, the signal's reason codes are set in the same statement.
    func transitionSignal(
        _ signalID: UUID, from: SignalStatus, to: SignalStatus, reasons: [String]? = nil, now: Date,
        on db: any Database
    ) async throws -> Bool {
        let reasonCodes: SQLQueryString = reasons.map { ", reason_codes = \(bind: ReasonCodes.encode($0))" } ?? ""
        let changed = try await db.sql(for: "SignalStateStore").raw(
            """
            UPDATE signals SET status = \(bind: to.rawValue), updated_at = \(bind: now)\(reasonCodes)
            WHERE id = \(bind: signalID) AND status = \(bind: from.rawValue)
            RETURNING id
            """
        ).all()
        return !changed.isEmpty
    }

    /// Moves every signal of `changes` from `from` to `to` with its reason codes, in one
    /// statement (`UPDATE ... FROM (VALUES ...)`, which both databases accept), only while it is
    /// still `from`; returns how many moved (fewer than asked: a concurrent change).
    func transitionSignals(
        _ changes: [(id: UUID, reasons: [String])], from: SignalStatus, to: SignalStatus, now: Date,
        on db: any Database
    ) async throws -> Int {
        guard !changes.isEmpty else { return 0 }
        let rows: [SQLQueryString] = changes.map { "(\(bind: $0.id), \(bind: ReasonCodes.encode($0.reasons)))" }
        let changed = try await db.sql(for: "SignalStateStore").raw(
            """
            UPDATE signals SET status = \(bind: to.rawValue), updated_at = \(bind: now), reason_codes = v.column2
            FROM (VALUES \(rows.joined(separator: ", "))) AS v
            WHERE signals.id = v.column1 AND signals.status = \(bind: from.rawValue)
            RETURNING signals.id
            """
        ).all()
        return changed.count
    }
}
