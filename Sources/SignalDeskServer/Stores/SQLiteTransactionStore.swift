import Fluent
import Foundation
import SQLKit

/// ``TransactionStore`` on SQLite: one transaction at a time within the process, each holding the
/// database's write lock from its first statement, so every ``WriterLock`` is already held.
///
/// Connections commit with `synchronous = FULL` (SQLite's default: the write-ahead log is synced
/// at every commit). A ``Durability/deferred`` write runs on one connection switched to
/// `synchronous = NORMAL` for its duration (in WAL mode: the log is synced at checkpoints, and a
/// FULL commit syncs it with every earlier commit), and switched back before the connection
/// returns to the pool, so any write that does not ask is durable.
struct SQLiteTransactionStore: TransactionStore {
    /// Admits one transaction at a time.
    let gate: AsyncGate

    func run<T: Sendable>(
        on db: any Database, durability: Durability,
        _ body: @escaping @Sendable (_ tx: any Database) async throws -> T
    ) async throws -> T {
        try await writing(on: db, durability: durability) { connection in
            try await connection.transaction { tx in
                // Take the write lock before reading: a deferred transaction that reads, then
                // writes after another connection (a writer outside the gate) committed, fails
                // with SQLITE_BUSY instead of waiting. A write that matches no row takes it.
                try await tx.sql(for: "SQLiteTransactionStore").raw("UPDATE settings SET value = value WHERE 1 = 0")
                    .run()
                return try await body(tx)
            }
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

    func writing<T: Sendable>(
        on db: any Database, durability: Durability, _ body: @escaping @Sendable (_ db: any Database) async throws -> T
    ) async throws -> T {
        try await writing {
            guard durability == .deferred else { return try await body(db) }
            return try await db.withConnection { connection in
                let sql = try connection.sql(for: "SQLiteTransactionStore")
                try await sql.raw(Self.synchronous(.deferred)).run()
                let result: T
                do {
                    result = try await body(connection)
                } catch {
                    try await sql.raw(Self.synchronous(.beforeReturn)).run()
                    throw error
                }
                try await sql.raw(Self.synchronous(.beforeReturn)).run()
                return result
            }
        }
    }

    /// The statement that makes a connection's later commits `durability`.
    static func synchronous(_ durability: Durability) -> SQLQueryString {
        switch durability {
        case .beforeReturn: "PRAGMA synchronous = FULL"
        case .deferred: "PRAGMA synchronous = NORMAL"
        }
    }
}
