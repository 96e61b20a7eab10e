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
    /// Runs `body` in one transaction on `db`, committed with `durability`.
    func run<T: Sendable>(
        on db: any Database, durability: Durability,
        _ body: @escaping @Sendable (_ tx: any Database) async throws -> T
    ) async throws -> T

    /// Takes `lock` until the transaction `tx` (made by ``run(on:durability:_:)``) ends.
    func lock(_ lock: WriterLock, on tx: any Database) async throws

    /// Runs `body`, statements that write outside a ``run(on:durability:_:)`` transaction (or a
    /// transaction of its own whose first statement writes), as the process's one writer
    /// meanwhile: on SQLite inside the write gate, because a connection that finds the write lock
    /// taken retries at once, over and over, on a core, until it is free (and the writer it waits
    /// for runs slower for it); on PostgreSQL as it is.
    func writing<T: Sendable>(_ body: () async throws -> T) async throws -> T

    /// ``writing(_:)`` for statements that may be committed with ``Durability/deferred``: `body`
    /// gets the database to run them on (on SQLite one connection of `db`, its commits not waited
    /// for on the disk; on PostgreSQL `db` itself, whose commits outside a transaction stay
    /// durable).
    func writing<T: Sendable>(
        on db: any Database, durability: Durability, _ body: @escaping @Sendable (_ db: any Database) async throws -> T
    ) async throws -> T
}

extension TransactionStore {
    /// Runs `body` in one transaction on `db`, durable before it returns.
    func run<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (_ tx: any Database) async throws -> T)
        async throws -> T
    {
        try await run(on: db, durability: .beforeReturn, body)
    }
}

/// When a commit must be on the disk.
///
/// Every write is durable before its call returns unless it says otherwise: what answers a client
/// (an accepted alert, a setting, a session) and what must survive before SignalDesk calls a venue
/// (the reserved order of an open or a close). Bookkeeping that a later step redoes from durable
/// state may be ``deferred``: the worker's claims (a lost claim returns the signal to the queue),
/// the decisions and fills of the in-process paper venue, the refusals and failures it records, the
/// booking of a fill (a lost booking leaves the order reserved, and the retry asks the venue about
/// its client order id before placing anything), and the outbox's claims and marks (a lost mark
/// sends a message once more, as a crash between the send and the mark does). A deferred commit is
/// durable against a crash of the process (it is in the database's log) but not of the machine,
/// until the next durable commit, which makes every earlier one durable with it (the log is
/// flushed in order). See docs/architecture.md, "Durability".
enum Durability: Sendable, Equatable {
    /// On the disk before the call returns (SQLite `synchronous = FULL`, PostgreSQL
    /// `synchronous_commit = on`).
    case beforeReturn
    /// In the database's log when the call returns, on the disk with the next durable commit
    /// (SQLite `synchronous = NORMAL` in WAL mode, PostgreSQL `synchronous_commit = off`).
    case deferred
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
