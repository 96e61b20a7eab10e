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

    func run<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (_ tx: any Database) async throws -> T)
        async throws -> T
    {
        try await db.transaction(body)
    }

    func lock(_ lock: WriterLock, on tx: any Database) async throws {
        let sql = try tx.sql(for: "PostgresTransactionStore")
        switch lock {
        case .user(let userID):
            try await sql.raw("SELECT id FROM users WHERE id = \(bind: userID) FOR UPDATE").run()
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
