import AsyncKit
import PostgresNIO

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

    /// `error` as one line for the operator. PostgreSQL errors describe themselves only through
    /// `String(reflecting:)` (their description hides the server's message); neither form carries
    /// bound values.
    static func describe(_ error: any Error) -> String {
        if let postgres = error as? PSQLError { return String(reflecting: postgres) }
        return "\(error)"
    }

    /// What a database error means to a client; nil for anything else (answered 500).
    enum Meaning: Equatable {
        /// The database cannot be reached, or every connection stayed busy past the pool's
        /// timeout: nothing changed, and a retry in a moment may succeed (503).
        case unavailable
        /// The database refused text the client sent (PostgreSQL refuses NUL and invalid UTF-8,
        /// SQLSTATE 22021): the statement changed nothing (400).
        case refusedText
    }

    /// What `error` means to a client, if it is one of the database errors it can act on.
    static func meaning(of error: any Error) -> Meaning? {
        switch error {
        case let error as PSQLError where isUnreachable(error): .unavailable
        case is ConnectionPoolTimeoutError: .unavailable
        case let error as PSQLError where error.serverInfo?[.sqlState] == "22021": .refusedText
        default: nil
        }
    }
}
