import Fluent
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
    /// `POST /signals`: a signal and its audit row.
    let signalWrites: any SignalWriteStore
    /// `GET /positions`: a user's positions.
    let positionReads: any PositionReadStore
    /// Bearer authentication: the caller of a live session.
    let callers: any CallerStore
    /// Claims and leases of signals.
    let claims: any ClaimStore

    /// The PostgreSQL implementations.
    static let postgres = Stores(
        signalWrites: PostgresSignalWriteStore(), positionReads: PostgresPositionReadStore(),
        callers: PostgresCallerStore(), claims: PostgresClaimStore())

    /// The SQLite implementations.
    static let sqlite = Stores(
        signalWrites: SQLiteSignalWriteStore(), positionReads: SQLitePositionReadStore(),
        callers: SQLiteCallerStore(), claims: SQLiteClaimStore())
}

/// Sets `app.stores` from the configured database kind: the one place outside migrations that
/// chooses between PostgreSQL and SQLite for data access. Runs in `configure` right after the
/// database is configured.
func installStores(_ app: Application) {
    switch app.appConfig.database {
    case .postgres: app.stores = .postgres
    case .sqlite: app.stores = .sqlite
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
