import Fluent
import SQLKit
import Vapor

/// A real round trip to the database, bounded in time so `/ready` answers even when the
/// database host does not.
enum DatabaseProbe {
    struct Timeout: Error {}

    /// The round-trip time of `SELECT 1`, or an error when the database is unreachable or slow.
    static func ping(_ database: any Database, timeout: Duration = .seconds(2)) async throws -> Duration {
        let sql = try database.sql(for: "DatabaseProbe")
        let clock = ContinuousClock()
        let start = clock.now
        try await withDeadline(timeout) {
            try await sql.raw("SELECT 1").run()
        }
        return clock.now - start
    }

    /// Runs `operation`, giving up after `timeout` without waiting for it to notice cancellation
    /// (a connection attempt to a silent host may not).
    static func withDeadline(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws
    {
        try await Deadline.value(within: timeout, orThrow: Timeout(), operation)
    }
}
