import Fluent
import Foundation

/// ``TransactionStore`` on SQLite: one transaction at a time within the process, each holding the
/// database's write lock from its first statement, so every ``WriterLock`` is already held.
struct SQLiteTransactionStore: TransactionStore {
    /// Admits one transaction at a time.
    let gate: AsyncGate

    func run<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (_ tx: any Database) async throws -> T)
        async throws -> T
    {
        await gate.acquire()
        do {
            let result = try await db.transaction { tx in
                // Take the write lock before reading: a deferred transaction that reads, then
                // writes after another connection (a writer outside the gate) committed, fails
                // with SQLITE_BUSY instead of waiting. A write that matches no row takes it.
                try await tx.sql(for: "SQLiteTransactionStore").raw("UPDATE settings SET value = value WHERE 1 = 0")
                    .run()
                return try await body(tx)
            }
            await gate.release()
            return result
        } catch {
            await gate.release()
            throw error
        }
    }

    func lock(_ lock: WriterLock, on tx: any Database) async throws {}

    func writing<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await gate.acquire()
        do {
            let result = try await body()
            await gate.release()
            return result
        } catch {
            await gate.release()
            throw error
        }
    }
}
