import PostgresNIO

/// Errors services throw, in domain words; the HTTP layer (``APIErrorMiddleware``, controllers)
/// turns them into answers. Services never make HTTP errors themselves.
enum ServiceError: Error, Equatable {
    /// The application is stopping: work queued for it will not run (answered 503, as a
    /// password check queued at shutdown is).
    case stopping
    /// A programming error: the configured database does not speak SQL (never with the SQLite or
    /// PostgreSQL drivers; answered 500).
    case notSQLDatabase
}

/// Which database errors mean "the database cannot be reached" (down, restarting, the pool
/// closed), as opposed to a statement that failed: the first are answered 503 and retried by
/// clients, and the statement batcher fails only the statement that failed, not its neighbours.
/// The connection failed or was lost, or the server refuses work while it shuts down or starts
/// (SQLSTATE class 08, connection exceptions, and 57P, operator intervention).
enum DatabaseErrors {
    static func isUnreachable(_ error: PSQLError) -> Bool {
        if [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed].contains(
            error.code)
        {
            return true
        }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }
}
