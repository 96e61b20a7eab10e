#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOPosix
import Vapor

/// Bcrypt off the event loops, and below them.
///
/// DESIGN.md: "a flood of logins must not slow webhooks or any other route". Bcrypt on Vapor's
/// thread pool keeps it off the event loops, but the pool's threads still compete for the cores at
/// the priority of the event loops and PostgreSQL: with 8 logins in flight on two cores the webhook
/// p99 went from 30 to 100 ms (docs/benchmarks.md). Password work therefore runs on a pool of its
/// own whose threads lower their scheduling priority to ``niceness`` before each hash: the
/// kernel gives them the CPU time that requests and the database leave over. On an idle machine
/// a login is as fast as before; under load, logins wait and webhooks do not.
///
/// The pool also keeps Bcrypt away from Vapor's shared thread pool, which runs SQLite's calls.
final class PasswordHashing: Sendable {
    /// The nice value of the hashing threads: the lowest priority a process can give itself.
    static let niceness: Int32 = 19

    private let pool: NIOThreadPool
    private let hasher: any PasswordHasher
    private let logger: Logger

    init(hasher: any PasswordHasher, threads: Int = System.coreCount, logger: Logger) {
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

    /// Runs `body` on one of the pool's threads, at ``niceness``.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let logger = self.logger
        return try await pool.runIfActive {
            Self.lowerPriorityOfCurrentThread(logger: logger)
            return try body()
        }
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    /// On Linux the nice value belongs to the thread, and `who == 0` names the calling thread; the
    /// call is idempotent and costs a microsecond against Bcrypt's hundreds of milliseconds. Raising
    /// one's own nice value needs no privilege; should the system still refuse, hashing goes on at
    /// normal priority and the refusal is logged.
    private static func lowerPriorityOfCurrentThread(logger: Logger) {
        #if os(Linux)
        if getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == niceness { return }
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) != 0 {
            logger.warning("Password hashing runs at normal priority: setpriority failed (errno \(errno))")
        }
        #endif
    }
}

extension Application {
    private struct PasswordHashingKey: StorageKey {
        typealias Value = PasswordHashing
    }

    /// Bcrypt with the configured cost on its own low-priority threads; installed by
    /// ``installPasswordHashing()`` and shut down with the application.
    var passwordHashing: PasswordHashing {
        guard let hashing = storage[PasswordHashingKey.self] else { fatalError("configure() installs password hashing") }
        return hashing
    }

    /// Installs password hashing with `hasher` (the configured Bcrypt when nil), shutting down the
    /// threads of one installed before.
    func installPasswordHashing(hasher: (any PasswordHasher)? = nil) async {
        await storage.setWithAsyncShutdown(PasswordHashingKey.self, to: nil)
        await storage.setWithAsyncShutdown(
            PasswordHashingKey.self, to: PasswordHashing(hasher: hasher ?? password, logger: logger),
            onShutdown: { try await $0.shutdown() })
    }
}

extension Request {
    var passwordHashing: PasswordHashing { application.passwordHashing }
}
