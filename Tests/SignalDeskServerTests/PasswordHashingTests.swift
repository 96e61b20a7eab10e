#if os(Linux)
    import Glibc
    import Foundation
    import NIOConcurrencyHelpers
    import NIOCore
    import Synchronization
    @testable import SignalDeskServer
    import Testing
    import VaporTesting

    /// Bcrypt runs on threads of its own, a thread per core, under SCHED_IDLE, all of them hashing
    /// while the rest of the process is quiet and half of them while it is busy (DESIGN.md: a flood of
    /// logins must not slow webhooks; issue 21: logins alone use every core). The effect on login
    /// rate and webhook latency is measured by scripts/bench/run.sh (`login`, `webhook_during_logins`),
    /// these tests pin the mechanism. Linux only: the scheduling policy and the thread CPU clocks are
    /// Linux facilities.
    @Suite struct PasswordHashingTests {
        /// The scheduling policy of the calling thread (Linux: a per-thread attribute; pid 0 is the caller).
        static func currentPolicy() -> Int32 {
            sched_getscheduler(0)
        }

        /// The scheduling policy of the process's main thread.
        static func mainThreadPolicy() -> Int32 {
            sched_getscheduler(getpid())
        }

        @Test func workRunsUnderTheIdlePolicyWithoutChangingOtherThreads() async throws {
            try await withTestApp(.sqlite, migrate: false) { app in
                let main = Self.mainThreadPolicy()
                let caller = Self.currentPolicy()
                for _ in 0..<4 {
                    let policy = try await app.passwordHashing.run { Self.currentPolicy() }
                    #expect(policy == PasswordHashing.idlePolicy)
                }
                #expect(main != PasswordHashing.idlePolicy)
                #expect(Self.mainThreadPolicy() == main)
                #expect(Self.currentPolicy() == caller)
            }
        }

        /// The cores as NIO counts them (CPU affinity and cgroup quota included), as the pool does.
        static var cores: Int { NIOCore.System.coreCount }

        @Test func thePoolHasAThreadPerCore() async throws {
            #expect(PasswordHashing.defaultThreads == Self.cores)
            try await withTestApp(.sqlite, migrate: false) { app in
                #expect(app.passwordHashing.threads == Self.cores)
                #expect(app.passwordHashing.threadsWhileBusy == max(1, Self.cores / 2))
            }
        }

        /// The rest of the process as busy or as quiet as the test says: `cores` cores of CPU time
        /// for every second of wall time, from `cores(_:)` on.
        final class ScriptedLoad: HashingLoad {
            private let state = Mutex((cores: 0.0, cpu: 0.0, at: DispatchTime.now().uptimeNanoseconds))

            init(cores: Double) { state.withLock { $0.cores = cores } }

            func cores(_ cores: Double) {
                state.withLock { current in
                    let now = DispatchTime.now().uptimeNanoseconds
                    current.cpu += current.cores * Double(now - current.at)
                    current.at = now
                    current.cores = cores
                }
            }

            func excludeCurrentThread() {}

            func otherThreadsCPU() -> UInt64 {
                state.withLock { UInt64($0.cpu + $0.cores * Double(DispatchTime.now().uptimeNanoseconds - $0.at)) }
            }
        }

        /// Counts the hashes running at once; each waits until `together` have run at once (or
        /// `patience` has passed), so that hashes that can run at once are seen to.
        final class OverlapHasher: PasswordHasher {
            let together: Int
            let patience: Duration
            private let running = Mutex((now: 0, most: 0))

            init(together: Int, patience: Duration = .seconds(5)) {
                self.together = together
                self.patience = patience
            }

            var most: Int { running.withLock { $0.most } }

            private func overlap() {
                running.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                let clock = ContinuousClock()
                let deadline = clock.now + patience
                while running.withLock({ $0.most }) < together, clock.now < deadline { usleep(2_000) }
                running.withLock { $0.now -= 1 }
            }

            func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
                overlap()
                return Array("hashed".utf8)
            }

            func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest)
                throws -> Bool
            {
                overlap()
                return true
            }
        }

        /// Hashes `count` passwords at once on `hashing` and returns when all are done.
        static func hashAtOnce(_ count: Int, on hashing: PasswordHashing) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask { _ = try await hashing.hash("password-\(index)") }
                }
                try await group.waitForAll()
            }
        }

        /// Logins alone use every core (issue 21: one thread on two cores left the machine half idle).
        @Test func everyCoreHashesAtOnceWhileTheProcessIsQuiet() async throws {
            let hasher = OverlapHasher(together: Self.cores)
            let hashing = PasswordHashing(hasher: hasher, load: ScriptedLoad(cores: 0), logger: Logger(label: "test"))
            try await Self.hashAtOnce(2 * Self.cores, on: hashing)
            #expect(hasher.most == Self.cores)
            try await hashing.shutdown()
        }

        /// While the process's other threads use the CPU, at most half the cores hash: Bcrypt on
        /// every core held the CPU against PostgreSQL's scheduling group and slowed webhooks.
        @Test func halfTheCoresHashAtOnceWhileTheProcessIsBusy() async throws {
            let hasher = OverlapHasher(together: Self.cores, patience: .milliseconds(300))
            let busy = Double(Self.cores)  // every core: busy on any machine
            let hashing = PasswordHashing(
                hasher: hasher, load: ScriptedLoad(cores: busy), logger: Logger(label: "test"))
            try await Self.hashAtOnce(Self.cores + 1, on: hashing)
            #expect(hasher.most == max(1, Self.cores / 2))
            try await hashing.shutdown()
        }

        /// Hands each hash and check to the hasher set last.
        final class SwitchingHasher: PasswordHasher {
            private let current: Mutex<any PasswordHasher>

            init(_ hasher: any PasswordHasher) { current = Mutex(hasher) }

            func use(_ hasher: any PasswordHasher) { current.withLock { $0 = hasher } }

            func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
                try current.withLock { $0 }.hash(password)
            }

            func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest)
                throws -> Bool
            {
                try current.withLock { $0 }.verify(password, created: digest)
            }
        }

        /// A busy spell ends: about a second after the last busy window, every core hashes again.
        @Test func everyCoreHashesAgainOnceTheLoadHasStopped() async throws {
            let load = ScriptedLoad(cores: Double(Self.cores))
            let busyHasher = OverlapHasher(together: Self.cores, patience: .milliseconds(300))
            let hasher = SwitchingHasher(busyHasher)
            let hashing = PasswordHashing(hasher: hasher, load: load, logger: Logger(label: "test"))
            try await Self.hashAtOnce(Self.cores + 1, on: hashing)
            #expect(busyHasher.most == max(1, Self.cores / 2))

            load.cores(0)
            let quietHasher = OverlapHasher(together: Self.cores)
            hasher.use(quietHasher)
            try await Self.hashAtOnce(2 * Self.cores, on: hashing)
            #expect(quietHasher.most == Self.cores)
            try await hashing.shutdown()
        }

        /// The process's CPU clock less the hashing threads' own: CPU time a hashing thread burns is
        /// counted as hashing, and CPU time any other thread burns as other work. (Other tests run in
        /// the same process, so only lower bounds can be checked.)
        @Test func theLoadCountsHashingThreadsApart() async throws {
            let load = ProcessHashingLoad()
            let burn = Duration.milliseconds(150)
            let otherBefore = load.otherThreadsCPU()
            try await Self.onThread { Self.burnCPU(burn) }
            #expect(load.otherThreadsCPU() - otherBefore >= 140_000_000)
            #expect(load.hashingCPU() == 0)

            // The pool's threads live as long as the pool: this one until its CPU time has been read.
            let burned = Atomic<Bool>(false)
            let release = DispatchSemaphore(value: 0)
            Thread {
                load.excludeCurrentThread()
                Self.burnCPU(burn)
                burned.store(true, ordering: .releasing)
                release.wait()
            }.start()
            while !burned.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            #expect(load.hashingCPU() >= 140_000_000)
            release.signal()
        }

        /// Runs `body` on a thread of its own and waits for it.
        static func onThread(_ body: @escaping @Sendable () -> Void) async throws {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread {
                    body()
                    continuation.resume()
                }.start()
            }
        }

        /// Spins until the calling thread has used `duration` of CPU time.
        static func burnCPU(_ duration: Duration) {
            func threadCPU() -> Int64 {
                var time = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
                return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
            }
            let start = threadCPU()
            let nanoseconds =
                duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
            var sink = 0
            while threadCPU() - start < nanoseconds { sink &+= 1 }
            _ = sink
        }

        /// Checks start in the order they reached the pool's threads, also while the process is busy:
        /// a thread that has finished a check does not start the next queued one ahead of the check
        /// waiting on the other thread (before, that one kept losing and logins waited 13-17 s).
        @Test func checksStartInTheOrderTheyCameWhileTheProcessIsBusy() async throws {
            let hashing = PasswordHashing(
                hasher: OverlapHasher(together: 1), threads: 2, load: ScriptedLoad(cores: Double(Self.cores)),
                logger: Logger(label: "test"))
            let gate = DispatchSemaphore(value: 0)
            let started = NIOLockedValueBox<[String]>([])
            let check: @Sendable (String, Bool) -> Task<Void, any Error> = { name, holding in
                Task {
                    try await hashing.run {
                        started.withLockedValue { $0.append(name) }
                        if holding { gate.wait() }
                    }
                }
            }
            let first = check("first", true)
            while started.withLockedValue({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
            let second = check("second", false)
            // The second check waits for admission on the other thread; the third waits in the
            // pool's queue for a thread.
            while hashing.inProgress < 2 { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(100))
            let third = check("third", false)
            while hashing.inProgress < 3 { try await Task.sleep(for: .milliseconds(5)) }
            gate.signal()
            for task in [first, second, third] { try await task.value }
            #expect(started.withLockedValue { $0 } == ["first", "second", "third"])
            try await hashing.shutdown()
        }

        /// A check waiting for admission (the process busy, the one allowed check running) fails with
        /// ``PasswordHashing/Unavailable`` once the pool stops, as one waiting for a thread does; the
        /// running check finishes.
        @Test func beginShutdownStopsWorkWaitingForAdmission() async throws {
            try await withTestApp(.sqlite, migrate: false) { app in
                let hashing = PasswordHashing(
                    hasher: app.password, threads: 2, load: ScriptedLoad(cores: Double(Self.cores)), logger: app.logger)
                let gate = DispatchSemaphore(value: 0)
                let state = Mutex((entered: false, ran: 0))
                let running = Task { @Sendable in
                    try await hashing.run {
                        state.withLock { $0.entered = true }
                        gate.wait()
                        return state.withLock {
                            $0.ran += 1
                            return $0.ran
                        }
                    }
                }
                while !state.withLock({ $0.entered }) { try await Task.sleep(for: .milliseconds(5)) }
                let waiting = Task { @Sendable in
                    try await hashing.run {
                        state.withLock {
                            $0.ran += 1
                            return $0.ran
                        }
                    }
                }
                // On the pool's second thread, held back by the admission.
                try await Task.sleep(for: .milliseconds(300))
                #expect(hashing.inProgress == 2)
                #expect(state.withLock { $0.ran } == 0)

                let stopped = hashing.beginShutdown(on: app.eventLoopGroup.any())
                await #expect(throws: PasswordHashing.Unavailable.self) { _ = try await waiting.value }
                gate.signal()
                #expect(try await running.value == 1)
                try await stopped.get()
                #expect(state.withLock { $0.ran } == 1)
            }
        }

        @Test func hashesAndVerifies() async throws {
            try await withTestApp(.sqlite, migrate: false) { app in
                let digest = try await app.passwordHashing.hash("correct horse battery")
                #expect(digest.hasPrefix("$2b$04$"))
                #expect(try await app.passwordHashing.verify("correct horse battery", created: digest))
                #expect(try await app.passwordHashing.verify("correct horse batterY", created: digest) == false)
                await #expect(throws: (any Error).self) {
                    _ = try await app.passwordHashing.verify("correct horse battery", created: "not a bcrypt digest")
                }
            }
        }

        @Test func aStoppedPoolThrowsUnavailable() async throws {
            try await withTestApp(.sqlite, migrate: false) { app in
                let hashing = PasswordHashing(hasher: app.password, logger: app.logger)
                _ = try await hashing.hash("before the stop")
                try await hashing.shutdown()
                await #expect(throws: PasswordHashing.Unavailable.self) { _ = try await hashing.hash("after the stop") }
            }
        }

        /// `beginShutdown` stops the pool before it returns: work queued behind a running check fails
        /// with ``PasswordHashing/Unavailable`` even though its thread becomes free afterwards, and the
        /// running check finishes. (The drain relies on this order; a stop started as a task of its own
        /// could come after the running check ended, and the queued work then ran.)
        @Test func beginShutdownStopsQueuedWorkBeforeItReturns() async throws {
            try await withTestApp(.sqlite, migrate: false) { app in
                let hashing = PasswordHashing(hasher: app.password, threads: 1, logger: app.logger)
                let gate = DispatchSemaphore(value: 0)
                let state = NIOLockedValueBox((entered: false, ran: 0))
                let running = Task { @Sendable in
                    try await hashing.run {
                        state.withLockedValue { $0.entered = true }
                        gate.wait()
                        return state.withLockedValue {
                            $0.ran += 1; return $0.ran
                        }
                    }
                }
                while !state.withLockedValue({ $0.entered }) { try await Task.sleep(for: .milliseconds(5)) }
                let queued = Task { @Sendable in
                    try await hashing.run {
                        state.withLockedValue {
                            $0.ran += 1; return $0.ran
                        }
                    }
                }
                while hashing.inProgress < 2 { try await Task.sleep(for: .milliseconds(5)) }

                let stopped = hashing.beginShutdown(on: app.eventLoopGroup.any())
                gate.signal()
                #expect(try await running.value == 1)
                await #expect(throws: PasswordHashing.Unavailable.self) { _ = try await queued.value }
                try await stopped.get()
                #expect(state.withLockedValue { $0.ran } == 1)
                await #expect(throws: PasswordHashing.Unavailable.self) { _ = try await hashing.hash("after the stop") }
            }
        }

        /// While the server stops, a login whose check can no longer run is answered 503 and leaves
        /// no trace of a failed attempt (it used to be taken for a wrong password, and then to reach
        /// for a database that was already shut down). A stored hash Bcrypt cannot read still refuses.
        @Test(arguments: TestDatabase.all)
        func loginsAnswer503WhenTheCheckCannotRunAndRefuseUnreadableHashes(_ database: TestDatabase) async throws {
            try await withTestApp(database) { app in
                let client = Client(app: app)
                try await User(email: "broken.hash@desk.io", passwordHash: "not a bcrypt hash", role: .trader).create(
                    on: app.db)
                let unreadable = try await client.login("broken.hash@desk.io")
                #expect(unreadable.status == .unauthorized)
                #expect(unreadable.json()["detail"] as? String == "Incorrect email or password")

                try await client.register("stopping@desk.io")
                let attemptsBefore = try await LoginAttempt.query(on: app.db).count()
                let auditBefore = try await client.auditActions()
                try await app.passwordHashing.shutdown()
                let stopped = try await client.login("stopping@desk.io")
                #expect(stopped.status == .serviceUnavailable)
                #expect(stopped.headers.first(name: "Retry-After") == "5")
                #expect(
                    stopped.json()["detail"] as? String
                        == "Service temporarily unavailable: the server is shutting down")
                #expect(try await LoginAttempt.query(on: app.db).count() == attemptsBefore)
                #expect(try await client.auditActions() == auditBefore)
                await app.installPasswordHashing()
            }
        }

        /// Records the scheduling policy of the thread each hash and check runs on.
        final class RecordingHasher: PasswordHasher {
            let base: any PasswordHasher
            let policies = Mutex<[Int32]>([])

            init(base: any PasswordHasher) { self.base = base }

            func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
                policies.withLock { $0.append(PasswordHashingTests.currentPolicy()) }
                return try base.hash(password)
            }

            func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest)
                throws -> Bool
            {
                policies.withLock { $0.append(PasswordHashingTests.currentPolicy()) }
                return try base.verify(password, created: digest)
            }
        }

        @Test(arguments: TestDatabase.all)
        func everyPasswordHashAndCheckRunsUnderTheIdlePolicy(_ database: TestDatabase) async throws {
            try await withTestApp(database) { app in
                let recorder = RecordingHasher(base: app.password)
                await app.installPasswordHashing(hasher: recorder)
                let client = Client(app: app)
                #expect(try await client.register("low.priority@desk.io").status == .created)
                #expect(try await client.login("low.priority@desk.io").status == .ok)
                #expect(
                    try await client.login("low.priority@desk.io", password: "wrong-password").status == .unauthorized)
                #expect(try await client.login("nobody@desk.io").status == .unauthorized)
                let (adminToken, _) = try await client.signIn("root.low@desk.io", role: .admin)
                let created = try await client.send(
                    .POST, "users", token: adminToken,
                    json: ["email": "viewer.low@desk.io", "password": "password-123", "role": "viewer"])
                #expect(created.status == .created)
                let admin = try await AdminAccounts.create(
                    email: "admin.low@desk.io", password: "admin-password-1", displayName: nil, on: app.db, app: app)
                #expect(admin.role == .admin)
                let recorded = recorder.policies.withLock { $0 }
                #expect(recorded.count == 7)
                #expect(recorded.allSatisfy { $0 == PasswordHashing.idlePolicy })
            }
        }
    }
#endif
