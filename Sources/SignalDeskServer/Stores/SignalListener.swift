import Vapor

/// Wakes this process's execution worker when a signal to execute is committed by another
/// process. The worker also polls, so a listener only shortens the wait.
protocol SignalListener: Sendable {
    /// Starts listening; each notification signals `wakeup`.
    func start(app: Application, wakeup: SignalWakeup)
    /// Stops listening and closes what ``start(app:wakeup:)`` opened.
    func stop() async
}

/// ``SignalListener`` on SQLite: none. SQLite has no notifications between processes; signals
/// accepted in this process wake the worker directly (``SignalWakeup``), and a worker in another
/// process finds them by polling.
struct SQLiteSignalListener: SignalListener {
    func start(app: Application, wakeup: SignalWakeup) {}
    func stop() async {}
}
