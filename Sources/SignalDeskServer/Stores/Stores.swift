import Fluent
import NIOConcurrencyHelpers
import PostgresNIO
import SQLKit
import Vapor

/// The stores of the application, chosen once from the configured database by ``installStores(_:)``.
///
/// A store owns the SQL of one aggregate: its texts, column lists and typed rows, and on
/// PostgreSQL the prepared statements that were measured to help (docs/architecture.md,
/// "Stores"). Controllers, middleware and services call a store and never ask which database they
/// run on; only stores and migrations know it.
struct Stores: Sendable {
    /// Transactions that read and then write, and the locks that serialize their writers.
    let transactions: any TransactionStore
    /// New signals: `POST /signals` and webhook alerts.
    let signalWrites: any SignalWriteStore
    /// `GET /positions`: a user's positions.
    let positionReads: any PositionReadStore
    /// Bearer authentication: the caller of a live session.
    let callers: any CallerStore
    /// Claims and leases of signals.
    let claims: any ClaimStore
    /// Webhook endpoints as the accept path reads them.
    let webhookEndpoints: any WebhookEndpointStore
    /// The audit chain's sealer.
    let auditChain: any AuditChainStore
    /// The grouped reads behind the ops reports.
    let opsFacts: any OpsFactsStore
    /// Makes the worker's listener for signals committed by other processes.
    let makeSignalListener: @Sendable () -> any SignalListener

    /// The PostgreSQL implementations; the batched ones run on `app`'s databases.
    static func postgres(_ app: Application, url: String) -> Stores {
        Stores(
            transactions: PostgresTransactionStore(),
            signalWrites: PostgresSignalWriteStore(
                acceptBatcher: app.postgresBatcher(PostgresSignalWriteStore.storeAccepted)),
            positionReads: PostgresPositionReadStore(), callers: PostgresCallerStore(), claims: PostgresClaimStore(),
            webhookEndpoints: PostgresWebhookEndpointStore(
                batcher: app.postgresBatcher(PostgresWebhookEndpointStore.lookUp)),
            auditChain: PostgresAuditChainStore(), opsFacts: PostgresOpsFactsStore(),
            makeSignalListener: { PostgresSignalListener(url: url) })
    }

    /// The SQLite implementations.
    static func sqlite() -> Stores {
        // One write gate for every transaction that writes: SQLite has one writer.
        let transactions = SQLiteTransactionStore(gate: AsyncGate())
        return Stores(
            transactions: transactions, signalWrites: SQLiteSignalWriteStore(transactions: transactions),
            positionReads: SQLitePositionReadStore(), callers: SQLiteCallerStore(), claims: SQLiteClaimStore(),
            webhookEndpoints: SQLiteWebhookEndpointStore(), auditChain: SQLiteAuditChainStore(),
            opsFacts: SQLiteOpsFactsStore(), makeSignalListener: { SQLiteSignalListener() })
    }
}

/// Sets `app.stores` from the configured database kind: the one place outside migrations that
/// chooses between PostgreSQL and SQLite for data access. Runs in `configure` right after the
/// database is configured.
func installStores(_ app: Application) {
    switch app.appConfig.database {
    case .postgres(let url): app.stores = .postgres(app, url: url)
    case .sqlite: app.stores = .sqlite()
    }
}

extension Application {
    private struct StoresKey: StorageKey {
        typealias Value = Stores
    }

    /// The stores chosen by ``installStores(_:)``.
    var stores: Stores {
        get {
            guard let stores = storage[StoresKey.self] else {
                fatalError("installStores(_:) must run before a store is used")
            }
            return stores
        }
        set { storage[StoresKey.self] = newValue }
    }

    /// A batcher whose groups run `statement` on this application's PostgreSQL. The database
    /// handles (one per event loop, each with its own connection pool) are made once and taken in
    /// turn: making one per group (`db(.psql)`) took the databases' lock and built a driver
    /// context every time, 2 % of the server's CPU under load.
    func postgresBatcher<Item, Output>(
        _ statement: @escaping @Sendable ([Item], any PostgresDatabase, Logger) async throws -> [Output]
    ) -> StatementBatcher<Item, Output> {
        let logger = logger
        let handles = eventLoopGroup.makeIterator().compactMap { loop in
            databases.database(.psql, logger: logger, on: loop) as? any PostgresDatabase
        }
        let turn = NIOLockedValueBox(0)
        return StatementBatcher { [weak self] items in
            // `self` is gone only after the application has shut down.
            guard self != nil, !handles.isEmpty else { throw ServiceError.stopping }
            let index = turn.withLockedValue { turn in
                turn = (turn + 1) % handles.count
                return turn
            }
            return try await statement(items, handles[index], logger)
        }
    }
}

/// A store was handed a database of the other kind: ``installStores(_:)`` chose it for the
/// configured database, so this is a programming error, reported instead of a crash.
struct StoreDatabaseMismatch: Error, CustomStringConvertible {
    let store: String
    let expected: String
    var description: String { "\(store) needs a \(expected) database" }
}

extension Database {
    /// This database as PostgreSQL, for a PostgreSQL store.
    func postgres(for store: String) throws -> any PostgresDatabase {
        guard let postgres = self as? any PostgresDatabase else {
            throw StoreDatabaseMismatch(store: store, expected: "PostgreSQL")
        }
        return postgres
    }

    /// This database through SQLKit, for a SQLite store.
    func sql(for store: String) throws -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            throw StoreDatabaseMismatch(store: store, expected: "SQL")
        }
        return sql
    }
}
