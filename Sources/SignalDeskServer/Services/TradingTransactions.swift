import Fluent
import SQLKit
import Vapor

/// Transactions that read and then write (claims, opens, closes, upserts of settings and
/// credentials).
///
/// On PostgreSQL they run concurrently and take row locks (`FOR UPDATE`) where they read what
/// they will change. SQLite has a single writer, and two deferred transactions that both read
/// and then write can deadlock (one gets SQLITE_BUSY), so on SQLite these transactions run one at
/// a time within the process, and each takes the write lock with its first statement (in WAL mode
/// a deferred transaction whose snapshot went stale fails with SQLITE_BUSY instead of waiting);
/// SQLite is the embedded single-process store, so the process is the whole system.
struct TradingTransactions {
    let app: Application
    let db: any Database

    var isPostgres: Bool { app.appConfig.database.kind == "postgres" }

    func run<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if isPostgres { return try await db.transaction(body) }
        let gate = app.sqliteWriteGate
        await gate.acquire()
        do {
            let result = try await db.transaction { tx in
                // Take the write lock before reading: a deferred transaction that reads, then
                // writes after another connection (a writer outside the gate) committed, fails
                // with SQLITE_BUSY instead of waiting. A write that matches no row takes it.
                try await (tx as! any SQLDatabase).raw("UPDATE settings SET value = value WHERE 1 = 0").run()
                return try await body(tx)
            }
            await gate.release()
            return result
        } catch {
            await gate.release()
            throw error
        }
    }

    /// Locks the user's row until the transaction ends (PostgreSQL), serializing that user's opens
    /// and closes across server instances. On SQLite ``run(_:)`` already serializes.
    func lockUser(_ userID: UUID, on tx: any Database) async throws {
        guard isPostgres else { return }
        try await (tx as! any SQLDatabase).raw("SELECT id FROM users WHERE id = \(bind: userID) FOR UPDATE").run()
    }
}

extension Application {
    private struct SQLiteWriteGateKey: StorageKey {
        typealias Value = AsyncGate
    }

    var sqliteWriteGate: AsyncGate {
        get {
            guard let gate = storage[SQLiteWriteGateKey.self] else { fatalError("configure() installs the write gate") }
            return gate
        }
        set { storage[SQLiteWriteGateKey.self] = newValue }
    }
}
