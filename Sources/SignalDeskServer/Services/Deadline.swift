import NIOConcurrencyHelpers

/// Waiting for a task with a time limit, for callers that must go on when a task does not
/// finish: background loop steps (``BackgroundLoop``), their shutdown, statement groups
/// (``StatementBatcher``) and the readiness probe (``DatabaseProbe``), all of which have met a
/// database call that never returned or a connection attempt that ignores cancellation.
enum Deadline {
    enum Outcome<Value: Sendable>: Sendable {
        case finished(Value)
        case failed(any Error)
        case overdue
    }

    /// The task's result, or `.overdue` once `limit` has passed without one (the task keeps
    /// running; the caller decides what to do with it).
    static func outcome<Value: Sendable>(of task: Task<Value, any Error>, within limit: Duration) async -> Outcome<
        Value
    > {
        let settled = NIOLockedValueBox(false)
        let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome<Value>, Never>) in
            let settle: @Sendable (Outcome<Value>) -> Void = { outcome in
                let first = settled.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                guard first else { return }
                timer.withLockedValue { $0 }?.cancel()
                continuation.resume(returning: outcome)
            }
            timer.withLockedValue {
                $0 = Task {
                    try? await Task.sleep(for: limit)
                    settle(.overdue)
                }
            }
            Task {
                do { settle(.finished(try await task.value)) } catch { settle(.failed(error)) }
            }
        }
    }

    /// The operation's value, or `overdue` thrown once `limit` has passed without one (the
    /// operation keeps running, unobserved).
    static func value<Value: Sendable>(
        within limit: Duration, orThrow overdue: @autoclosure () -> any Error,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        switch await outcome(of: Task { try await operation() }, within: limit) {
        case .finished(let value): return value
        case .failed(let error): throw error
        case .overdue: throw overdue()
        }
    }
}
