import Fluent
import Foundation
import SQLKit

/// The SQL of the Telegram outbox (``TelegramSender``).
enum OutboxStore {
    /// Counts an attempt at message `id` and leases it until `leaseEnd`, only if it is still
    /// pending with `attempts` attempts (no other sender took it since it was read). True when
    /// this call took it.
    static func claim(id: UUID, attempts: Int, leaseEnd: Date, on db: any Database) async throws -> Bool {
        let taken = try await db.sql(for: "OutboxStore").raw(
            """
            UPDATE outbox SET attempts = attempts + 1, next_attempt_at = \(bind: leaseEnd)
            WHERE id = \(bind: id) AND status = 'PENDING' AND attempts = \(bind: attempts)
            RETURNING id
            """
        ).all()
        return taken.count == 1
    }
}
