import Crypto
import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// ``TransactionStore`` on PostgreSQL: plain transactions, and locks every instance waits for.
struct PostgresTransactionStore: TransactionStore {
    /// `pg_advisory_xact_lock(class, key)` class of alert bodies ("SDwb" in ASCII). The two-key
    /// form has its own key space, apart from the one-key lock of the sealer.
    static let bodyLockClass: Int32 = 0x5344_7762
    /// `pg_advisory_xact_lock(key)` key of the audit sealer (any constant; "SDaudit" in ASCII).
    static let sealerLockKey: Int64 = 0x5344_6175_6469_74

    /// The lock key of one (webhook, body hash): 32 bits of their SHA-256. Two bodies that share
    /// a key only wait for each other; they are still compared by their full hash.
    static func bodyLockKey(webhookID: UUID, bodyHash: String) -> Int32 {
        let digest = Array(SHA256.hash(data: Array("\(webhookID.uuidString):\(bodyHash)".utf8)))
        return Int32(bitPattern: digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// A user's lock: the user's row `FOR NO KEY UPDATE`. It conflicts with itself (so one user's
    /// opens and closes still take turns, on every instance), with `FOR UPDATE` (deleting the
    /// user) and with an `UPDATE` of the row, but not with `FOR KEY SHARE`, the lock a foreign key
    /// check takes on the referenced row. With `FOR UPDATE` every insert that names the user (an
    /// accepted alert's signal and audit row, a session) waited for the user's open or close in
    /// progress to commit: the next alert of a trader whose previous alert was executing waited
    /// for that execution (on average 10 ms per alert, up to 54 ms, for 100 alerts sent one after
    /// another; docs/benchmarks.md, "Sequential alerts and the idle server").
    static func userLock(_ userID: UUID) -> SQLQueryString {
        "SELECT id FROM users WHERE id = \(bind: userID) FOR NO KEY UPDATE"
    }

    func run<T: Sendable>(
        on db: any Database, durability: Durability,
        _ body: @escaping @Sendable (_ tx: any Database) async throws -> T
    ) async throws -> T {
        guard durability == .deferred else { return try await db.transaction(body) }
        return try await db.transaction { tx in
            // For this transaction only: COMMIT returns once the commit is in the WAL buffers.
            try await tx.sql(for: "PostgresTransactionStore").raw("SET LOCAL synchronous_commit TO OFF").run()
            return try await body(tx)
        }
    }

    func writing<T: Sendable>(_ body: () async throws -> T) async throws -> T { try await body() }

    /// Statements outside a transaction stay durable: turning that off would cost a round trip
    /// before and after, more than the claims it would be used for wait.
    func writing<T: Sendable>(
        on db: any Database, durability: Durability, _ body: @escaping @Sendable (_ db: any Database) async throws -> T
    ) async throws -> T {
        try await body(db)
    }

    func lock(_ lock: WriterLock, on tx: any Database) async throws {
        let sql = try tx.sql(for: "PostgresTransactionStore")
        switch lock {
        case .user(let userID):
            try await sql.raw(Self.userLock(userID)).run()
        case .smokeUsers:
            // Each later statement of the transaction sees what committed before the lock.
            try await sql.raw(
                "SELECT id FROM users WHERE \(SQLText.hasPrefix("email", SmokeUsers.prefix)) FOR UPDATE"
            ).run()
        case .alertBody(let webhookID, let bodyHash):
            let key = Self.bodyLockKey(webhookID: webhookID, bodyHash: bodyHash)
            try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.bodyLockClass), \(bind: key))").run()
        case .auditSealer:
            try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.sealerLockKey))").run()
        }
    }
}
