import FluentPostgresDriver
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import Vapor

/// Wakes this process's execution worker when any process commits a signal to execute:
/// `LISTEN signaldesk_signals` on a dedicated PostgreSQL connection (the trigger of
/// ``AddSignalNotifyTrigger`` sends the notifications). Reconnects after a failure; the worker's
/// polling covers the gap, so a lost connection delays signals by at most one poll interval.
final class SignalNotifications: Sendable {
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let connection = NIOLockedValueBox<PostgresConnection?>(nil)

    func start(app: Application, url: String, wakeup: SignalWakeup) {
        let logger = Logger(label: "signaldesk.signal-notifications")
        let started = Task { [connection] in
            var attempt = 0
            while !Task.isCancelled {
                do {
                    var configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
                    configuration.options.connectTimeout = .seconds(5)
                    let listener = try await PostgresConnection.connect(
                        on: app.eventLoopGroup.any(), configuration: configuration, id: 1, logger: logger)
                    connection.withLockedValue { $0 = listener }
                    attempt = 0
                    try await listener.listen(on: AddSignalNotifyTrigger.channel) { notifications in
                        // Subscribed: anything committed before now is found by the first poll.
                        wakeup.signal()
                        for try await _ in notifications { wakeup.signal() }
                    }
                } catch {
                    // When stopping, fall through: the connection (perhaps opened while stopping)
                    // is closed below and the loop ends.
                    if !Task.isCancelled {
                        logger.warning("Signal notifications unavailable, polling only until reconnected: \(String(reflecting: type(of: error)))")
                    }
                }
                if let stale = connection.withLockedValue({ current -> PostgresConnection? in defer { current = nil }; return current }) {
                    try? await stale.close()
                }
                if Task.isCancelled { break }
                attempt += 1
                try? await Task.sleep(for: .seconds(min(30, 1 << min(attempt, 5))))
            }
        }
        task.withLockedValue { $0 = started }
    }

    func stop() async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        // Closing the connection ends the notification sequence the task is waiting on.
        if let open = connection.withLockedValue({ current -> PostgresConnection? in defer { current = nil }; return current }) {
            try? await open.close()
        }
        await running?.value
    }
}
