import Logging
import NIOPosix
import Synchronization
import Vapor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bcrypt off the event loops, below them, and on every core the rest of the server leaves free.
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
/// - it has a thread per core, and all of them hash while the rest of the process is quiet (logins
///   alone: issue 21, two cores ran one check at a time and sat half idle). While the process's
///   other threads are busy (serving webhooks or any other request, or background work) at most
///   half of them hash (at least one): the policy ranks threads within one scheduling group only,
///   and PostgreSQL on the same machine usually sits in another (a session's autogroup, a
///   container's or service's cgroup), which shares the CPU with this process's group as a whole.
///   Bcrypt on every core at all times held the CPU against PostgreSQL's group: during a login
///   flood on two cores webhooks lost about half their rate and their p99 went from 52-65 ms to
///   110-122 ms (docs/benchmarks.md); with half the threads it takes at most half the cores from
///   it. ``Admission`` decides, from the CPU time of the process's other threads (``HashingLoad``).
/// On an idle machine a login is as fast as before and concurrent ones use every core; under load
/// logins wait, webhooks do not.
/// The pool also keeps Bcrypt away from Vapor's shared thread pool, which runs SQLite's calls.
final class PasswordHashing: Sendable {
    /// Linux's `SCHED_IDLE` scheduling policy (`<sched.h>` declares it only for `_GNU_SOURCE`).
    static let idlePolicy: Int32 = 5

    private let pool: NIOThreadPool
    private let hasher: any PasswordHasher
    private let logger: Logger
    private let admission: Admission
    /// Whether a refusal of the policy has been logged (once per pool, not once per hash).
    private let refusalLogged = Atomic<Bool>(false)
    private let submitted = Atomic<Int>(0)
    /// Set when the pool stops: a check still waiting for admission then fails instead of running.
    private let stopping = Atomic<Bool>(false)

    /// The pool's threads: the most checks that run at once, while the rest of the process is quiet.
    let threads: Int
    /// The most checks that run at once while the rest of the process is busy: half the threads, at least one.
    var threadsWhileBusy: Int { admission.limitWhileBusy }

    /// Checks and hashes submitted and not finished: running, or waiting for a thread.
    var inProgress: Int { submitted.load(ordering: .relaxed) }

    /// A thread per core.
    static let defaultThreads = max(1, System.coreCount)

    /// `load` tells busy from quiet (the process's own CPU time when nil; tests pass a fixed one).
    init(
        hasher: any PasswordHasher, threads: Int = PasswordHashing.defaultThreads, load: (any HashingLoad)? = nil,
        logger: Logger
    ) {
        let threads = max(1, threads)
        self.threads = threads
        self.pool = NIOThreadPool(numberOfThreads: threads)
        self.hasher = hasher
        self.logger = logger
        self.admission = Admission(
            threads: threads, limitWhileBusy: max(1, threads / 2), load: load ?? ProcessHashingLoad())
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

    /// Runs `body` on one of the pool's threads, under ``idlePolicy``, once ``Admission`` lets it
    /// (at once while the process is quiet). Errors of `body` pass through; a pool that no longer
    /// runs work throws ``Unavailable``, also to work that was waiting for admission when it stopped.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        submitted.add(1, ordering: .relaxed)
        defer { submitted.subtract(1, ordering: .relaxed) }
        do {
            return try await pool.runIfActive {
                self.idleCurrentThread()
                guard self.admission.enter(unless: { self.stopping.load(ordering: .relaxed) }) else {
                    throw Unavailable()
                }
                defer { self.admission.leave() }
                return try body()
            }
        } catch is CancellationError {
            throw Unavailable()
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw Unavailable()
        }
    }

    func shutdown() async throws {
        stopping.store(true, ordering: .relaxed)
        try await pool.shutdownGracefully()
    }

    /// Stops the pool before returning: from this call on, work that has not started fails with
    /// ``Unavailable`` (queued checks at once, checks waiting for admission within its poll
    /// interval), and a check already running finishes. The future completes on `eventLoop` when
    /// the threads have ended. Unlike a task that calls ``shutdown()``, which runs whenever an
    /// executor thread is free, the caller knows the pool has stopped taking work when the next
    /// line runs.
    func beginShutdown(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        stopping.store(true, ordering: .relaxed)
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

extension PasswordHashing {
    /// How many checks may run at once: every thread while the rest of the process is quiet,
    /// ``limitWhileBusy`` while it is busy.
    ///
    /// Busy: the process's threads other than the hashing ones used at least ``busyShare`` of the
    /// machine's cores over a window of at least ``window`` (250 ms: about one check), and for
    /// ``hold`` after such a window (a second: a webhook load has short lulls, and an extra check let
    /// in during one holds a core for a quarter of a second). On two cores that is 0.2 of a core:
    /// logins alone stay under it (their own work besides Bcrypt is 0.06-0.15 of a core at 7-9 per
    /// second), webhooks at a third of capacity during a login flood used 0.23-0.35, at full load
    /// 0.3-0.6 (docs/benchmarks.md, "Webhooks during a login flood"). Windows are measured only
    /// when a check beyond ``limitWhileBusy`` asks to start, so no other work samples anything. A
    /// window older than a second tells nothing about now: a new one starts, and until it ends the
    /// process counts as busy (after a quiet spell the extra checks wait a quarter of a second).
    ///
    /// Checks start in the order they reached a pool thread: one that may not start yet waits on a
    /// condition (a pool thread asleep), woken when a check ends and every 20 ms to sample the load
    /// again, and no check that reached a thread later starts before it. (Without the order, a
    /// thread that had just finished took the next queued check and started it at once, while the
    /// one waiting on the other thread kept losing: some logins waited 13-17 s.)
    final class Admission: @unchecked Sendable {
        static let busyShare = 0.1
        static let window: UInt64 = 250_000_000
        static let hold: UInt64 = 1_000_000_000
        static let poll: TimeInterval = 0.02

        let threads: Int
        let limitWhileBusy: Int
        private let load: any HashingLoad
        /// ``busyShare`` of the cores, in CPU nanoseconds per wall nanosecond.
        private let busyCores: Double
        /// Guards every variable below; `@unchecked Sendable` rests on it.
        private let condition = NSCondition()
        private var running = 0
        /// The next ticket to hand out, and the oldest one not yet admitted.
        private var issued: UInt64 = 0
        private var serving: UInt64 = 0
        private var sampledAt: UInt64?
        private var otherCPU: UInt64 = 0
        private var busyUntil: UInt64 = 0

        init(threads: Int, limitWhileBusy: Int, load: any HashingLoad, cores: Int = System.coreCount) {
            self.threads = threads
            self.limitWhileBusy = min(threads, limitWhileBusy)
            self.load = load
            self.busyCores = Self.busyShare * Double(max(1, cores))
        }

        /// Waits until this check may start, on the calling pool thread; false when `stopped`
        /// returns true first (then nothing has started, and the pool is stopping: the checks
        /// waiting behind this one fail the same way).
        func enter(unless stopped: () -> Bool) -> Bool {
            load.excludeCurrentThread()
            condition.lock()
            defer { condition.unlock() }
            let ticket = issued
            issued += 1
            while true {
                if stopped() { return false }
                if ticket == serving, admits() {
                    serving += 1
                    running += 1
                    condition.broadcast()
                    return true
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: Self.poll))
            }
        }

        func leave() {
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }

        /// Whether the rest of the process counts as busy now.
        var busy: Bool {
            condition.lock()
            defer { condition.unlock() }
            return busyUntil > DispatchTime.now().uptimeNanoseconds
        }

        /// Whether one more check may run now; samples the load when a window has passed. Called
        /// with the lock held.
        private func admits() -> Bool {
            if running < limitWhileBusy { return true }
            let now = DispatchTime.now().uptimeNanoseconds
            if let sampledAt, now - sampledAt <= Self.window * 4 {
                if now - sampledAt >= Self.window {
                    let cpu = load.otherThreadsCPU()
                    let used = cpu >= otherCPU ? Double(cpu - otherCPU) : 0
                    if used >= busyCores * Double(now - sampledAt) { busyUntil = now + Self.hold }
                    self.sampledAt = now
                    otherCPU = cpu
                }
            } else {
                // No window, or one too old to tell what the process does now: a new window
                // starts, and until it ends the process counts as busy.
                sampledAt = now
                otherCPU = load.otherThreadsCPU()
                busyUntil = max(busyUntil, now + Self.window)
            }
            return now >= busyUntil && running < threads
        }
    }
}

/// The CPU time of the threads of this process that do not hash: what ``PasswordHashing/Admission``
/// tells busy from quiet by.
protocol HashingLoad: Sendable {
    /// Called on a hashing thread before each check: that thread's CPU time no longer counts.
    func excludeCurrentThread()
    /// CPU nanoseconds the process's other threads have used so far.
    func otherThreadsCPU() -> UInt64
}

/// ``HashingLoad`` from the kernel's clocks: the process's CPU time less that of every hashing
/// thread (Linux: each thread's CPU clock; elsewhere nothing is measured and the process counts as
/// quiet).
final class ProcessHashingLoad: HashingLoad {
    #if os(Linux)
        /// The CPU clock of every thread that has hashed, and its last reading (kept should the
        /// thread end, so that the sum never falls).
        private let hashingThreads = Mutex<[(clock: clockid_t, last: UInt64)]>([])
    #endif

    init() {}

    func excludeCurrentThread() {
        #if os(Linux)
            var clock = clockid_t()
            guard pthread_getcpuclockid(pthread_self(), &clock) == 0 else { return }
            hashingThreads.withLock { threads in
                if !threads.contains(where: { $0.clock == clock }) { threads.append((clock, 0)) }
            }
        #endif
    }

    /// CPU nanoseconds of the hashing threads so far.
    func hashingCPU() -> UInt64 {
        #if os(Linux)
            return hashingThreads.withLock { threads in
                var total: UInt64 = 0
                for index in threads.indices {
                    if let now = Self.read(threads[index].clock) { threads[index].last = now }
                    total += threads[index].last
                }
                return total
            }
        #else
            return 0
        #endif
    }

    func otherThreadsCPU() -> UInt64 {
        #if os(Linux)
            let hashing = hashingCPU()
            let process = Self.read(CLOCK_PROCESS_CPUTIME_ID) ?? 0
            return process > hashing ? process - hashing : 0
        #else
            return 0
        #endif
    }

    #if os(Linux)
        private static func read(_ clock: clockid_t) -> UInt64? {
            var time = timespec()
            guard clock_gettime(clock, &time) == 0 else { return nil }
            return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        }
    #endif
}

extension Application {
    private struct PasswordHashingKey: StorageKey {
        typealias Value = PasswordHashing
    }

    /// Bcrypt with the configured cost on its own idle-priority threads; installed by
    /// ``installPasswordHashing(hasher:threads:load:)`` and shut down with the application.
    var passwordHashing: PasswordHashing {
        guard let hashing = storage[PasswordHashingKey.self] else {
            fatalError("configure() installs password hashing")
        }
        return hashing
    }

    /// Installs password hashing with `hasher` (the configured Bcrypt when nil) on `threads`
    /// threads, shutting down the threads of one installed before.
    func installPasswordHashing(
        hasher: (any PasswordHasher)? = nil, threads: Int = PasswordHashing.defaultThreads,
        load: (any HashingLoad)? = nil
    ) async {
        await storage.setWithAsyncShutdown(PasswordHashingKey.self, to: nil)
        await storage.setWithAsyncShutdown(
            PasswordHashingKey.self,
            to: PasswordHashing(hasher: hasher ?? password, threads: threads, load: load, logger: logger),
            onShutdown: { try await $0.shutdown() })
    }
}

extension Request {
    var passwordHashing: PasswordHashing { application.passwordHashing }
}
