#if os(Linux)
    import Glibc
    import Foundation
    import NIOConcurrencyHelpers
    import NIOCore
    import Synchronization
    @testable import SignalDeskServer
    import Testing
    import VaporTesting

    /// Bcrypt runs on threads of its own, half as many as cores, under SCHED_IDLE (DESIGN.md: a flood
    /// of logins must not slow webhooks); the effect on webhook latency is measured by
    /// scripts/bench/run.sh (`webhook_during_logins`), these tests pin the mechanism. Linux only: the
    /// scheduling policy is a Linux facility.
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

        @Test func atMostHalfTheCoresHashAtOnce() async throws {
            try await withTestApp(.sqlite, migrate: false) { app in
                let running = NIOLockedValueBox((now: 0, most: 0))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await app.passwordHashing.run {
                                running.withLockedValue {
                                    $0.now += 1; $0.most = max($0.most, $0.now)
                                }
                                usleep(20_000)
                                running.withLockedValue { $0.now -= 1 }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // The cores as NIO counts them (CPU affinity and cgroup quota included), as the pool does.
                #expect(running.withLockedValue { $0.most } == max(1, NIOCore.System.coreCount / 2))
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
