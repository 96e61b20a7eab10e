import NIOCore
import Vapor

/// The first step of a shutdown: the HTTP server stops accepting connections and waits for the
/// requests it has in hand, while everything those requests use (databases, background loops,
/// hashing threads) still runs.
///
/// Vapor stops lifecycle handlers in the reverse order of registration and stops the HTTP server
/// only afterwards, with the application's storage. Left to that order, a SIGTERM shut the
/// databases down while requests were still being served, and the first one to reach for
/// `req.db` stopped the process on Fluent's force-unwrap (reproduced with logins in flight:
/// scripts/chaos/run.sh, scenario 5). ``prepareForServing(_:)`` registers this handler last, so
/// it runs first.
///
/// - The wait is bounded by ``ShutdownDeadline/budget`` (the server's `shutdownTimeout`), and it
///   starts the shared ``Application/shutdownDeadline``: the background loops stopped after it get
///   what is left of the same budget, so the process exits within 10 s.
/// - Password checks that have not started when the drain begins are not run: a queue of logins
///   can hold more Bcrypt work than the budget (2-3 checks per second on two cores), so the
///   hashing pool stops at once, those logins are answered 503 with `Retry-After`
///   (``PasswordHashing/Unavailable``), and a check already running finishes and its login
///   completes.
struct HTTPServerDrain: LifecycleHandler {
    /// How long the server waits for requests in progress (set as its `shutdownTimeout`).
    static let timeout = TimeAmount(ShutdownDeadline.budget)

    func shutdownAsync(_ application: Application) async {
        _ = application.shutdownDeadline
        let logger = application.logger
        logger.notice("Shutting down: no new connections; finishing the requests in progress")
        // The pool stops taking work before the listener closes: a login that the server has
        // read by then and that waits for a hashing thread is answered 503, not run. (Started as
        // a concurrent task, the stop could come after the listener closed and after a running
        // check finished, and a queued login then ran: CI saw it under load.)
        let hashingStopped = application.passwordHashing.beginShutdown(on: application.eventLoopGroup.any())
        await application.server.shutdown()
        do {
            try await hashingStopped.get()
        } catch {
            logger.warning("Password hashing threads did not stop cleanly: \(String(reflecting: error))")
        }
        logger.notice("HTTP server stopped")
    }
}
