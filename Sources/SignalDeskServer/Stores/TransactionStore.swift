import Fluent
import Foundation

/// Transactions that read and then write (claims, opens, closes, upserts of settings and
/// credentials, the intake of alerts without an id, the audit sealer, the smoke cleanup), and the
/// locks that keep two writers from deciding on the same state.
///
/// On PostgreSQL transactions run concurrently and each ``WriterLock`` is a real lock (a row
/// `FOR UPDATE` or a transaction-scoped advisory lock) that every server instance waits for. SQLite
/// has a single writer, and two deferred transactions that both read and then write can deadlock
/// (one gets SQLITE_BUSY), so on SQLite these transactions run one at a time within the process and
/// each takes the write lock with its first statement; every ``WriterLock`` is then already held.
/// SQLite is the embedded single-process store, so the process is the whole system.
protocol TransactionStore: Sendable {
    /// Runs `body` in one transaction on `db`.
    func run<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (_ tx: any Database) async throws -> T)
        async throws -> T

    /// Takes `lock` until the transaction `tx` (made by ``run(on:_:)``) ends.
    func lock(_ lock: WriterLock, on tx: any Database) async throws

    /// Runs `body`, statements that write outside a ``run(on:_:)`` transaction (or a transaction of
    /// its own whose first statement writes), as the process's one writer meanwhile: on SQLite inside the write gate, because a connection that finds the write
    /// lock taken retries at once, over and over, on a core, until it is free (and the writer it
    /// waits for runs slower for it); on PostgreSQL as it is.
    func writing<T: Sendable>(_ body: () async throws -> T) async throws -> T
}

extension TransactionStore {
    func writing<T: Sendable>(_ body: () async throws -> T) async throws -> T { try await body() }
}

/// What a ``TransactionStore`` transaction can lock.
enum WriterLock: Sendable, Equatable {
    /// One user's opens and closes (the user's row).
    case user(UUID)
    /// Every `smoke.` user's row: new rows that point at them wait for the cleanup.
    case smokeUsers
    /// Alerts without an id that share a (webhook, body hash): the duplicate check and the insert.
    case alertBody(webhookID: UUID, bodyHash: String)
    /// The audit chain's sealer: one at a time.
    case auditSealer
}
