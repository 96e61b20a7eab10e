import Logging
import NIOPosix
import Synchronization
import Vapor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bcrypt off the event loops, and below them.
///
/// DESIGN.md: "a flood of logins must not slow webhooks or any other route". Bcrypt on Vapor's
/// thread pool kept it off the event loops, but the pool had a thread per core at the priority of
/// the event loops and PostgreSQL: with 8 logins in flight on two cores, webhooks lost half their
/// throughput and their p99 went from 25-30 ms to 100-240 ms (docs/benchmarks.md). Password work
/// now runs on a pool of its own:
/// - its threads switch to Linux's `SCHED_IDLE` policy before they hash: the kernel gives them only
///   CPU time that no ordinary thread of the process wants, and an event loop or task that wakes
///   up takes the CPU from them at once. (A nice value of 19 was not enough: the scheduler lets
///   even a nice-19 thread finish its time slice before a woken thread runs.)
/// - it has half as many threads as there are cores (at least one): the policy ranks threads
///   within one scheduling group only, and PostgreSQL on the same machine usually sits in another
///   (a session's autogroup, a container's or service's cgroup), which shares the CPU with this
///   process's group as a whole. Bcrypt can therefore take at most half the cores from it.
/// On an idle machine a login is as fast as before (concurrent ones queue for the pool's threads);
/// under load logins wait, webhooks do not.
/// The pool also keeps Bcrypt away from Vapor's shared thread pool, which runs SQLite's calls.
final class PasswordHashing: Sendable {
    /// Linux's `SCHED_IDLE` scheduling policy (`<sched.h>` declares it only for `_GNU_SOURCE`).
    static let idlePolicy: Int32 = 5

    private let pool: NIOThreadPool
    private let hasher: any PasswordHasher
    private let logger: Logger
    /// Whether a refusal of the policy has been logged (once per pool, not once per hash).
    private let refusalLogged = Atomic<Bool>(false)
    private let submitted = Atomic<Int>(0)

    /// Checks and hashes submitted and not finished: running, or waiting for a thread.
    var inProgress: Int { submitted.load(ordering: .relaxed) }

    /// Half the cores, at least one.
    static let defaultThreads = max(1, System.coreCount / 2)

    init(hasher: any PasswordHasher, threads: Int = PasswordHashing.defaultThreads, logger: Logger) {
        self.pool = NIOThreadPool(numberOfThreads: threads)
        self.hasher = hasher
        self.logger = logger
        pool.start()
    }

    func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        let digest = try await run { try hasher.hash([UInt8](password.utf8)) }
        return String(decoding: digest, as: UTF8.self)
    }

    func verify(_ password: String, created digest: String) async throws -> Bool {
        let hasher = self.hasher
        return try await run { try hasher.verify([UInt8](password.utf8), created: [UInt8](digest.utf8)) }
    }

    /// The pool has been shut down (the server is stopping) or the waiting request was cancelled:
    /// the password was not checked. Answered 503 (``APIErrorMiddleware``), never as a refusal.
    struct Unavailable: Error {}

    /// Runs `body` on one of the pool's threads, under ``idlePolicy``. Errors of `body` pass
    /// through; a pool that no longer runs work throws ``Unavailable``.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        submitted.add(1, ordering: .relaxed)
        defer { submitted.subtract(1, ordering: .relaxed) }
        do {
            return try await pool.runIfActive {
                self.idleCurrentThread()
                return try body()
            }
        } catch is CancellationError {
            throw Unavailable()
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw Unavailable()
        }
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    /// Stops the pool before returning: from this call on, work that has not started fails with
    /// ``Unavailable`` (queued checks at once), and a check already running finishes. The future
    /// completes on `eventLoop` when the threads have ended. Unlike a task that calls
    /// ``shutdown()``, which runs whenever an executor thread is free, the caller knows the pool
    /// has stopped taking work when the next line runs.
    func beginShutdown(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        pool.shutdownGracefully(queue: .global()) { error in
            if let error { promise.fail(error) } else { promise.succeed() }
        }
        return promise.futureResult
    }

    /// The policy belongs to the thread, and pid 0 names the calling thread; a thread already idle
    /// costs one system call, a microsecond against Bcrypt's hundreds of milliseconds. Lowering
    /// one's own policy needs no privilege; should the system still refuse, hashing goes on at
    /// normal priority and the refusal is logged once.
    private func idleCurrentThread() {
        #if os(Linux)
            if sched_getscheduler(0) == Self.idlePolicy { return }
            var parameters = sched_param(sched_priority: 0)
            if sched_setscheduler(0, Self.idlePolicy, &parameters) != 0 {
                let error = errno
                if !refusalLogged.exchange(true, ordering: .relaxed) {
                    logger.warning(
                        "Password hashing runs at normal priority: sched_setscheduler(SCHED_IDLE) failed (errno \(error))"
                    )
                }
            }
        #endif
    }
}

extension Application {
    private struct PasswordHashingKey: StorageKey {
        typealias Value = PasswordHashing
    }

    /// Bcrypt with the configured cost on its own idle-priority threads; installed by
    /// ``installPasswordHashing()`` and shut down with the application.
    var passwordHashing: PasswordHashing {
        guard let hashing = storage[PasswordHashingKey.self] else {
            fatalError("configure() installs password hashing")
        }
        return hashing
    }

    /// Installs password hashing with `hasher` (the configured Bcrypt when nil) on `threads`
    /// threads, shutting down the threads of one installed before.
    func installPasswordHashing(hasher: (any PasswordHasher)? = nil, threads: Int = PasswordHashing.defaultThreads)
        async
    {
        await storage.setWithAsyncShutdown(PasswordHashingKey.self, to: nil)
        await storage.setWithAsyncShutdown(
            PasswordHashingKey.self, to: PasswordHashing(hasher: hasher ?? password, threads: threads, logger: logger),
            onShutdown: { try await $0.shutdown() })
    }
}

extension Request {
    var passwordHashing: PasswordHashing { application.passwordHashing }
}
