import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SignalDeskCore
import Testing
import Vapor

@testable import SignalDeskServer

/// Issue 21, items 4 and 5: background work in proportion to the work there is, and nothing that
/// makes one request wait for another's work without need.
@Suite struct IdleWorkTests {
    /// A step that counts its runs and answers what the test sets.
    final class Steps: Sendable {
        private let state = NIOLockedValueBox((runs: 0, pace: BackgroundLoop.Pace.idle))
        var runs: Int { state.withLockedValue { $0.runs } }
        func set(_ pace: BackgroundLoop.Pace) { state.withLockedValue { $0.pace = pace } }
        func run() -> BackgroundLoop.Pace {
            state.withLockedValue {
                $0.runs += 1
                return $0.pace
            }
        }
        /// Waits until the step has run more than `count` times (the test's time limit bounds it).
        func waitForMore(than count: Int) async throws {
            while runs <= count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// A loop whose steps find nothing waits twice as long after each (1, 2, 4, ... ms here, up to
    /// an hour), so over 300 ms it runs about nine times instead of once per millisecond; a wakeup
    /// runs it at once, and a step that found work brings back the short interval.
    @Test(.timeLimit(.minutes(1)))
    func anIdleLoopBacksOffUntilWokenOrBusy() async throws {
        let app = try await Application.make(.testing)
        let steps = Steps()
        let wakeup = SignalWakeup()
        let loop = BackgroundLoop(name: "Test loop", interval: .milliseconds(1), idleInterval: .seconds(3600))
        loop.start(app: app, wakeup: wakeup, paced: { _ in steps.run() })
        try await steps.waitForMore(than: 0)
        try await Task.sleep(for: .milliseconds(300))
        let idle = steps.runs
        // 1 + 2 + ... + 256 ms > 300 ms: at most 10 runs. Without the back-off, about 300.
        #expect(idle <= 10, "an idle loop backs off (ran \(idle) times in 300 ms)")
        wakeup.signal()
        try await steps.waitForMore(than: idle)
        steps.set(.worked)
        wakeup.signal()
        let busy = steps.runs
        // Busy again: every millisecond or so, not after the hour it had backed off to.
        try await steps.waitForMore(than: busy + 20)
        await loop.stop(logger: app.logger, deadline: .now + .seconds(5))
        try await app.asyncShutdown()
    }

    /// The sealer tells its loop what it found: nothing (idle), some rows (worked), a full batch
    /// (more at once).
    @Test(arguments: TestDatabase.all)
    func theSealersPaceFollowsWhatItFound(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            // Migrations and set-up may have audited something: chain it first.
            while try await AuditChainSealing(app: app, db: app.db).sealPending() > 0 {}
            #expect(try await AuditSealer.step(app) == .idle)
            try await AuditLog.record(AuditAction.webhookRejected, userID: nil, on: app.db)
            #expect(try await AuditSealer.step(app) == .worked)
            #expect(try await AuditSealer.step(app) == .idle)
            try await AuditLog.recordMany(
                Array(
                    repeating: (AuditAction.webhookRejected, nil, nil, nil, [:]),
                    count: AuditChainSealing.batchSize + 1), on: app.db, at: Date())
            #expect(try await AuditSealer.step(app) == .again)
            #expect(try await AuditSealer.step(app) == .worked)
            #expect(try await AuditChainSealing(app: app, db: app.db).verify().valid)
        }
    }

    /// The Telegram sender drains a backlog batch after batch instead of 20 messages a second,
    /// and reports an idle pass when nothing is due (here no bot is configured: each message is
    /// skipped, which is what the benchmark's burst left behind).
    @Test(arguments: TestDatabase.all)
    func theSendersPaceFollowsWhatWasDue(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            #expect(try await TelegramSender.step(app) == .idle)
            let now = Date().addingTimeInterval(-1)
            for index in 0..<(TelegramSender.batchSize + 1) {
                try await OutboxMessage(userID: nil, text: "message \(index)", now: now).create(on: app.db)
            }
            #expect(try await TelegramSender.step(app) == .again)
            #expect(try await TelegramSender.step(app) == .worked)
            #expect(try await TelegramSender.step(app) == .idle)
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$status == "PENDING").count() == 0)
        }
    }

    /// Holds the writer locks in `holder` (another server on the same database: on SQLite the
    /// database's write lock, on PostgreSQL the audit sealer's lock, both inside a transaction that
    /// wrote a row) while `body` runs; records an issue if `body` waited for them.
    static func whileAnotherWriterHoldsTheLocks(
        _ holder: Application, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        let held = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let writer = Task {
            try await holder.stores.transactions.run(on: holder.db) { tx in
                try await holder.stores.transactions.lock(.auditSealer, on: tx)
                try await AuditLog.record(AuditAction.webhookRejected, userID: nil, on: tx)
                held.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in held.stream { break }
        let outcome = await Deadline.outcome(of: Task { try await body() }, within: .seconds(20))
        release.continuation.yield()
        try await writer.value
        switch outcome {
        case .finished: break
        case .failed(let error): throw error
        case .overdue: Issue.record("waited for another writer although there was nothing to write")
        }
    }

    /// With nothing to do, the sealer's pass, the worker's claim and lease expiry are reads: they
    /// do not wait for a writer (before, each took the write gate and SQLite's write lock, the
    /// sealer its lock on PostgreSQL, every second, to change nothing). On SQLite a connection that
    /// waits for the write lock spins on a core, and an alert being accepted meanwhile waited
    /// behind all of them.
    @Test(.timeLimit(.minutes(1)), arguments: TestDatabase.all)
    func nothingToDoTakesNoWriterLock(_ database: TestDatabase) async throws {
        try await withTestDatabase(database) { config in
            try await withApp(config) { app in
                while try await AuditChainSealing(app: app, db: app.db).sealPending() > 0 {}
                try await withApp(config, migrate: false) { other in
                    try await Self.whileAnotherWriterHoldsTheLocks(other) {
                        let claims = SignalClaims(app: app, db: app.db)
                        // The other writer's row is not committed yet: nothing visible to chain.
                        #expect(try await AuditChainSealing(app: app, db: app.db).sealPending() == 0)
                        #expect(try await claims.claim(.worker, limit: 4).isEmpty)
                        let expired = try await claims.expireLeases()
                        #expect(expired.returned == 0 && expired.expired == 0)
                    }
                }
                // With work, the sealer still does it.
                #expect(try await AuditChainSealing(app: app, db: app.db).sealPending() == 1)
            }
        }
    }

    /// Lease expiry after the read that finds an ended lease: both outcomes still applied.
    @Test(arguments: TestDatabase.all)
    func endedLeasesAreStillApplied(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            _ = try await client.signIn("lease@idle.io")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "lease@idle.io").first())
            let userID = try user.requireID()
            let past = Date().addingTimeInterval(-60)
            let first = Signal.webhookRow(userID: userID, status: .executing) { $0.leasedUntil = past }
            let second = Signal.webhookRow(userID: userID, status: .executing) {
                $0.leasedUntil = past
                $0.leaseCount = 2
            }
            try await first.create(on: app.db)
            try await second.create(on: app.db)
            let claims = SignalClaims(app: app, db: app.db)
            #expect(try await claims.expireLeases() == (1, 1))
            #expect(try await claims.expireLeases() == (0, 0))
            // The returned one is waiting again, and the worker's claim (after its read) takes it.
            #expect(try await claims.claim(.worker, limit: 4).map(\.id) == [first.id])
        }
    }

    /// On PostgreSQL a user's lock (opens and closes) no longer holds back inserts that name the
    /// user: the foreign key check of an accepted alert's signal took `FOR KEY SHARE` on the
    /// user's row, which `FOR UPDATE` blocked until the user's execution committed. Two of the
    /// user's locks still exclude each other.
    @Test(.timeLimit(.minutes(1)))
    func aUsersLockLetsInsertsForTheUserThrough() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await withTestApp(.postgres) { app in
            let client = Client(app: app)
            _ = try await client.signIn("locked@idle.io")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "locked@idle.io").first())
            let userID = try user.requireID()
            let held = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await PositionBook(app: app, db: app.db).withUserLock(userID) { _ in
                    held.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in held.stream { break }
            // Waiting for a lock fails at once instead of waiting (lock_timeout), so each outcome
            // below is decided by the locks, not by time.
            let insert = await outcome {
                try await app.db.transaction { tx in
                    try await (tx as! any SQLDatabase).raw("SET LOCAL lock_timeout = '200ms'").run()
                    try await Signal.webhookRow(userID: userID).create(on: tx)
                }
            }
            let secondLock = await outcome {
                try await app.db.transaction { tx in
                    try await (tx as! any SQLDatabase).raw("SET LOCAL lock_timeout = '200ms'").run()
                    try await app.stores.transactions.lock(.user(userID), on: tx)
                }
            }
            release.continuation.yield()
            try await holder.value
            #expect(throws: Never.self) { try insert.get() }
            #expect(throws: (any Error).self, "a second lock of the user waits for the first") { try secondLock.get() }
        }
    }
}

/// What `body` gave: its value or its error.
private func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
