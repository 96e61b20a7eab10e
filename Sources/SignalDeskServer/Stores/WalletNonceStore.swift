import Fluent
import Foundation
import SQLKit

/// The SQL of wallet sign-in nonces (`wallet_nonces`) beyond Fluent's queries: the guarded use
/// that lets one of two concurrent sign-ins with the same message win. The same SQL on both
/// databases, so one struct.
struct WalletNonceStore: Sendable {
    /// Marks `nonce` used at `now` when it was issued for `address`, is unused and has not expired.
    /// True when this call used it (only one caller can); runs on `tx`, the sign-in's transaction.
    func use(nonce: String, address: String, now: Date, on tx: any Database) async throws -> Bool {
        let used = try await tx.sql(for: "WalletNonceStore").update("wallet_nonces")
            .set("used_at", to: SQLBind(now))
            .where("nonce", .equal, SQLBind(nonce))
            .where("address", .equal, SQLBind(address))
            .where("used_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, SQLBind(now))
            .returning("id")
            .all()
        return !used.isEmpty
    }

    /// Deletes nonces that expired before `cutoff`: used or not, they can no longer sign anyone in.
    func deleteExpired(before cutoff: Date, on db: any Database) async throws {
        try await db.sql(for: "WalletNonceStore").delete(from: "wallet_nonces")
            .where("expires_at", .lessThan, SQLBind(cutoff))
            .run()
    }
}
