import FluentPostgresDriver
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import Vapor

/// ``SignalListener`` on PostgreSQL. Wakes this process's execution worker when any process
/// commits a signal to execute:
/// `LISTEN signaldesk_signals` on a dedicated PostgreSQL connection (the trigger of
/// ``AddSignalNotifyTrigger`` sends the notifications). When the connection is lost (the database
/// restarts, the network drops) it connects again with backoff; the worker's polling covers the
/// gap, so a lost connection delays signals by at most one poll interval.
final class PostgresSignalListener: SignalListener {
    /// The database's URL: the listener has a connection of its own, outside the pools.
    let url: String

    init(url: String) {
        self.url = url
    }

    private struct State {
        var connection: PostgresConnection?
        var stopped = false
    }

    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let state = NIOLockedValueBox(State())

    func start(app: Application, wakeup: SignalWakeup) {
        let url = url
        let logger = Logger(label: "signaldesk.signal-notifications")
        let started = Task { [state] in
            var attempt = 0
            while !state.withLockedValue({ $0.stopped }) {
                do {
                    var configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
                    configuration.options.connectTimeout = .seconds(5)
                    let listener = try await PostgresConnection.connect(
                        on: app.eventLoopGroup.any(), configuration: configuration, id: 1, logger: logger)
                    // Registered under the lock that `stop()` takes: a connection opened while
                    // stopping is closed here, never left open.
                    let stopping = state.withLockedValue { current -> Bool in
                        if !current.stopped { current.connection = listener }
                        return current.stopped
                    }
                    if stopping {
                        try? await listener.close()
                        break
                    }
                    listener.addListener(channel: AddSignalNotifyTrigger.channel) { _, _ in wakeup.signal() }
                    _ = try await listener.query(
                        PostgresQuery(unsafeSQL: "LISTEN \(AddSignalNotifyTrigger.channel)"), logger: logger)
                    attempt = 0
                    // Subscribed: anything committed before now is found by the first poll.
                    wakeup.signal()
                    // Completes when the connection closes: lost, or closed by `stop()`.
                    try await listener.closeFuture.get()
                } catch {
                    if !state.withLockedValue({ $0.stopped }) {
                        logger.warning(
                            "Signal notifications unavailable, polling only until reconnected: \(String(reflecting: type(of: error)))"
                        )
                    }
                }
                if let stale = state.withLockedValue({ current -> PostgresConnection? in
                    defer { current.connection = nil }; return current.connection
                }) {
                    try? await stale.close()
                }
                if state.withLockedValue({ $0.stopped }) { break }
                attempt += 1
                try? await Task.sleep(for: .seconds(min(30, 1 << min(attempt, 5))))
            }
        }
        task.withLockedValue { $0 = started }
    }

    func stop() async {
        let open = state.withLockedValue { current -> PostgresConnection? in
            current.stopped = true
            defer { current.connection = nil }
            return current.connection
        }
        let running = task.withLockedValue { $0 }
        running?.cancel()
        // Closing the connection completes the close future the task is waiting on.
        try? await open?.close()
        await running?.value
    }
}
