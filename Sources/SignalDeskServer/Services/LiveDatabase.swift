import Fluent
import Vapor

/// Thrown by ``Application/database`` once the application's databases have shut down.
struct DatabasesShutDown: Error, CustomStringConvertible {
    var description: String { "the application's databases are shut down" }
}

extension Application {
    /// The default database, as Fluent's `db` (without query history, which SignalDesk does not
    /// turn on), but an error instead of a crash once the databases
    /// have shut down. Background steps use it: a shutdown that gives up waiting for a step
    /// (``BackgroundLoop``, the shutdown deadline) shuts the databases down while that step may
    /// still run, and Fluent's `db` then stops the process (a force-unwrapped nil; seen in the
    /// test suite on a busy machine: the outbox sender's step, left behind, crashed the run).
    var database: any Database {
        get throws {
            guard
                let db = databases.database(
                    nil, logger: logger, on: eventLoopGroup.any(),
                    history: nil,
                    pageSizeLimit: fluent.pagination.pageSizeLimit)
            else { throw DatabasesShutDown() }
            return db
        }
    }
}
