import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A real round trip to the database, bounded in time so `/ready` answers even when the
/// database host does not.
enum DatabaseProbe {
    struct Timeout: Error {}

    /// The round-trip time of `SELECT 1`, or an error when the database is unreachable or slow.
    static func ping(_ database: any Database, timeout: Duration = .seconds(2)) async throws -> Duration {
        guard let sql = database as? any SQLDatabase else { throw Abort(.internalServerError) }
        let clock = ContinuousClock()
        let start = clock.now
        try await withDeadline(timeout) {
            try await sql.raw("SELECT 1").run()
        }
        return clock.now - start
    }

    /// Runs `operation`, giving up after `timeout` without waiting for it to notice cancellation
    /// (a connection attempt to a silent host may not).
    static func withDeadline(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws {
        let gate = NIOLockedValueBox<CheckedContinuation<Void, any Error>?>(nil)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            gate.withLockedValue { $0 = continuation }
            let timer = Task {
                // Cancellation of the timer means the operation finished first.
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                gate.withLockedValue { $0.take() }?.resume(throwing: Timeout())
            }
            Task {
                let result: Result<Void, any Error>
                do {
                    try await operation()
                    result = .success(())
                } catch {
                    result = .failure(error)
                }
                timer.cancel()
                gate.withLockedValue { $0.take() }?.resume(with: result)
            }
        }
    }
}
