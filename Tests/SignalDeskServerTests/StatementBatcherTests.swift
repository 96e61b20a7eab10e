import Fluent
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import SQLKit
import Testing
import Vapor

@testable import SignalDeskServer

@Suite struct StatementBatcherTests {
    struct Refused: Error, Equatable { let item: Int }
    struct Unreachable: Error {}

    /// Records the groups a batcher runs; each group takes `delay`, as a commit does.
    final class Recorder: Sendable {
        let groups = NIOLockedValueBox<[[Int]]>([])
        let delay: Duration
        init(delay: Duration = .milliseconds(30)) { self.delay = delay }

        func run(_ items: [Int]) async throws -> [Int] {
            groups.withLockedValue { $0.append(items) }
            try await Task.sleep(for: delay)
            return items.map { $0 * 10 }
        }
    }

    static func submitAll(_ batcher: StatementBatcher<Int, Int>, _ items: Range<Int>) async -> [Int: Result<
        Int, any Error
    >] {
        await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for item in items {
                group.addTask {
                    do { return (item, .success(try await batcher.submit(item))) } catch {
                        return (item, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    @Test func concurrentWritesShareGroupsAndEachGetsItsOwnOutput() async throws {
        let recorder = Recorder()
        let batcher = StatementBatcher<Int, Int>(maxGroup: 64) { try await recorder.run($0) }
        let results = await Self.submitAll(batcher, 0..<40)
        for item in 0..<40 { #expect(try results[item]?.get() == item * 10) }
        let groups = recorder.groups.withLockedValue { $0 }
        #expect(groups.flatMap { $0 }.sorted() == Array(0..<40), "every item written exactly once")
        // The first write runs alone at once; the others queue behind it and share groups (how
        // many depends on how fast the tasks start; one per write would be 40).
        #expect(groups.count <= 20, "\(groups.count) groups for 40 concurrent writes")
    }

    @Test func groupsAreNoLargerThanTheLimit() async throws {
        let recorder = Recorder(delay: .milliseconds(5))
        let batcher = StatementBatcher<Int, Int>(maxGroup: 4) { try await recorder.run($0) }
        _ = await Self.submitAll(batcher, 0..<30)
        let groups = recorder.groups.withLockedValue { $0 }
        #expect(groups.allSatisfy { $0.count <= 4 })
        #expect(groups.flatMap { $0 }.count == 30)
    }

    /// Requests one after another each run as a group of their own: nothing waits for company.
    @Test(.timeLimit(.minutes(1)))
    func aLoneWriteRunsAlone() async throws {
        let recorder = Recorder(delay: .zero)
        let batcher = StatementBatcher<Int, Int>(maxGroup: 64) { try await recorder.run($0) }
        #expect(try await batcher.submit(7) == 70)
        #expect(try await batcher.submit(8) == 80)
        #expect(recorder.groups.withLockedValue { $0 } == [[7], [8]])
    }

    /// One item the database refuses: the group is retried item by item, and only that item fails.
    @Test func aRefusedItemFailsAloneAfterItsGroupIsRetried() async throws {
        let batcher = StatementBatcher<Int, Int>(maxGroup: 64, retriesAlone: { $0 is Refused }) { items in
            try await Task.sleep(for: .milliseconds(20))
            if items.contains(13) { throw Refused(item: 13) }
            return items
        }
        let results = await Self.submitAll(batcher, 0..<20)
        for item in 0..<20 where item != 13 { #expect(try results[item]?.get() == item) }
        #expect(throws: Refused(item: 13)) { try results[13]?.get() }
    }

    /// The database is unreachable: every waiting item gets the error at once, with no retries
    /// one by one (each of which would wait for the pool again).
    @Test func otherErrorsFailTheWholeGroupWithoutRetries() async throws {
        let calls = NIOLockedValueBox(0)
        let batcher = StatementBatcher<Int, Int>(maxGroup: 64) { _ in
            calls.withLockedValue { $0 += 1 }
            try await Task.sleep(for: .milliseconds(20))
            throw Unreachable()
        }
        let results = await Self.submitAll(batcher, 0..<20)
        #expect(results.values.allSatisfy { if case .failure(let error) = $0 { error is Unreachable } else { false } })
        #expect(calls.withLockedValue { $0 } < 20, "one call per group, not per item and no retries alone")
    }

    /// A group whose statement never finishes (as a database call after PostgreSQL was stopped
    /// under load): its requests are answered with `StatementOverdue` at the deadline, and the
    /// requests after it run.
    @Test(.timeLimit(.minutes(1)))
    func aStuckGroupIsAnsweredAtTheDeadlineAndTheNextOnesRun() async throws {
        let stuck = BackgroundLoopTests.Stuck()
        let batcher = StatementBatcher<Int, Int>(maxGroup: 64, groupDeadline: .seconds(10)) { items in
            if items.contains(1) { await stuck.wait() }
            return items
        }
        await #expect(throws: StatementOverdue.self) { try await batcher.submit(1) }
        #expect(try await batcher.submit(2) == 2)
        stuck.release()
        // Answered as an unreachable database: 503 with Retry-After.
        let app = try await Application.make(.testing)
        let request = Request(application: app, on: app.eventLoopGroup.any())
        let answer = APIErrorMiddleware.response(for: StatementOverdue(), request: request)
        #expect(answer.status == .serviceUnavailable && answer.headers.first(name: "Retry-After") == "5")
        try await app.asyncShutdown()
    }

    /// A batcher whose group holding item 1 waits until `stuck` is released, and the task that
    /// submitted item 1, returned once that group has started.
    static func stuckGroup(
        _ stuck: BackgroundLoopTests.Stuck, slowGroup: Duration
    ) async throws -> (StatementBatcher<Int, Int>, Task<Int, any Error>) {
        let slowStarted = NIOLockedValueBox(false)
        let batcher = StatementBatcher<Int, Int>(
            maxConcurrentGroups: 2, slowGroup: slowGroup, groupDeadline: .seconds(60)
        ) { items in
            if items.contains(1) {
                slowStarted.withLockedValue { $0 = true }
                await stuck.wait()
            }
            return items
        }
        let slow = Task { try await batcher.submit(1) }
        while !slowStarted.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        return (batcher, slow)
    }

    /// While one group waits on a slow statement, the requests after it run in other groups
    /// (without that, they would wait for it: this test would hang to its time limit).
    @Test(.timeLimit(.minutes(1)))
    func aSlowGroupDoesNotHoldBackTheOthers() async throws {
        let stuck = BackgroundLoopTests.Stuck()
        let (batcher, slow) = try await Self.stuckGroup(stuck, slowGroup: .milliseconds(20))
        try await Task.sleep(for: .milliseconds(60))  // nothing has moved for longer than `slowGroup`
        #expect(try await batcher.submit(2) == 2)
        #expect(try await batcher.submit(3) == 3)
        stuck.release()
        #expect(try await slow.value == 1)
    }

    /// Every sender waiting in the queue behind a stuck group, none arriving later (four clients
    /// when PostgreSQL stops): the queued requests start their own group once the stuck one has
    /// run for `slowGroup`. Without that they would wait for the stuck group: this test would
    /// hang to its time limit.
    @Test(.timeLimit(.minutes(1)))
    func requestsQueuedBehindAStuckGroupStartTheirOwnWithoutANewArrival() async throws {
        let stuck = BackgroundLoopTests.Stuck()
        let (batcher, slow) = try await Self.stuckGroup(stuck, slowGroup: .milliseconds(300))
        // Queued at once, well before the stuck group has run for `slowGroup`.
        let queued = await Self.submitAll(batcher, 2..<6)
        for item in 2..<6 { #expect(try queued[item]?.get() == item) }
        stuck.release()
        #expect(try await slow.value == 1)
    }

    /// The real statements. Lookup: every uuid of a group gets its own answer. Insert: twins in one group and an alert id stored earlier are skipped (with
    /// their audit rows), and a value PostgreSQL refuses fails only its own alert.
    @Test(.enabled(if: TestDatabase.postgresURL != nil))
    func theWebhookStatementsLookUpGroupsSkipTakenIdsAndIsolateRefusedValues() async throws {
        try await withTestApp(.postgres) { app in
            let client = Client(app: app)
            let (_, uuid, _) = try await client.webhookUser()
            let endpoint = try #require(try await WebhookIntake.endpoint(uuid: uuid, app: app, on: app.db))
            func row(_ alertID: String, symbol: String = "BTCUSDT") throws -> PostgresSignalWriteStore.Accepted {
                let signal = NewSignal(
                    userID: endpoint.userID, symbol: symbol, module: "tradingview", side: .long, exchange: .binance,
                    source: .tradingview, entryPrice: 30_000, webhookID: endpoint.id, alertID: "id:" + alertID,
                    bodyHash: "hash", createdAt: Date())
                return PostgresSignalWriteStore.Accepted(signal: signal, details: #"{"alert_id":"\#(alertID)"}"#)
            }
            let postgres = try #require(app.db as? any PostgresDatabase)
            // The grouped endpoint lookup answers each uuid of a group, known, unknown or repeated.
            let unknown = UUID().uuidString.lowercased()
            let found = try await PostgresWebhookEndpointStore.lookUp(
                [uuid, unknown, uuid], on: postgres, logger: app.logger)
            #expect(found.map { $0?.id } == [endpoint.id, nil, endpoint.id])
            #expect(found[0]?.secretDigest == endpoint.secretDigest && found[0]?.role == UserRole.trader.rawValue)

            let a = try row("a"), b = try row("b"), twin = try row("a")
            #expect(
                try await PostgresSignalWriteStore.storeAccepted([a, b, twin], on: postgres, logger: app.logger) == [
                    .stored, .stored, .taken,
                ])
            #expect(
                try await PostgresSignalWriteStore.storeAccepted([try row("b")], on: postgres, logger: app.logger) == [
                    .taken
                ])
            #expect(try await Signal.query(on: app.db).count() == 2)
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "webhook.accepted").all()
                .compactMap(\.entityID)
            #expect(Set(audited) == [a.signal.id.uuidString, b.signal.id.uuidString])

            // Through the application's batcher: the refused value (NUL) fails alone.
            let batcher = try #require(app.stores.signalWrites as? PostgresSignalWriteStore).acceptBatcher
            let rows = try (0..<6).map { try row("c\($0)", symbol: $0 == 3 ? "BAD\u{0}" : "ETHUSDT") }
            let outcomes = await withTaskGroup(of: (Int, PostgresSignalWriteStore.AcceptOutcome?).self) { group in
                for (index, item) in rows.enumerated() {
                    group.addTask { (index, try? await batcher.submit(item)) }
                }
                return await group.reduce(into: [Int: PostgresSignalWriteStore.AcceptOutcome?]()) { $0[$1.0] = $1.1 }
            }
            for index in 0..<6 {
                let stored: PostgresSignalWriteStore.AcceptOutcome? = try #require(outcomes[index])
                #expect(stored == (index == 3 ? nil : .stored), "alert \(index)")
            }
            #expect(try await Signal.query(on: app.db).count() == 7)

            // With the endpoint it was authenticated against: stored only while the endpoint has
            // that secret digest, owner, switch and a role that is not disabled.
            func checked(_ alertID: String, _ digest: String) throws -> PostgresSignalWriteStore.Accepted {
                var accepted = try row(alertID)
                accepted.endpoint = WebhookEndpointRow(
                    webhookUUID: uuid, id: endpoint.id, userID: endpoint.userID, secretSealed: "",
                    secretDigest: digest, enabled: true, role: UserRole.trader.rawValue)
                return accepted
            }
            #expect(
                try await PostgresSignalWriteStore.storeAccepted(
                    [try checked("e1", endpoint.secretDigest), try checked("e2", "stale"), try checked("e1", "stale")],
                    on: postgres, logger: app.logger) == [.stored, .endpointChanged, .endpointChanged])
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.raw("UPDATE webhook_endpoints SET enabled = false WHERE id = \(bind: endpoint.id)").run()
            #expect(
                try await PostgresSignalWriteStore.storeAccepted(
                    [try checked("e3", endpoint.secretDigest), try row("e4")], on: postgres, logger: app.logger)
                    == [.endpointChanged, .stored])
            try await sql.raw("UPDATE webhook_endpoints SET enabled = true WHERE id = \(bind: endpoint.id)").run()
            try await sql.raw("UPDATE users SET role = 'disabled' WHERE id = \(bind: endpoint.userID)").run()
            #expect(
                try await PostgresSignalWriteStore.storeAccepted(
                    [try checked("e5", endpoint.secretDigest)], on: postgres, logger: app.logger) == [.endpointChanged])
            #expect(try await Signal.query(on: app.db).count() == 9)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "webhook.accepted").count() == 9)
        }
    }

    /// The grouped insert binds each column as one array: a group whose rows differ in which
    /// optional values they have stores every value of every row as given (a NULL in one row's
    /// column must not shift or drop the values of the rows after it).
    @Test(.enabled(if: TestDatabase.postgresURL != nil))
    func aGroupStoresEveryValueOfEveryRowNullsIncluded() async throws {
        try await withTestApp(.postgres) { app in
            let client = Client(app: app)
            let (_, uuid, _) = try await client.webhookUser()
            let endpoint = try #require(try await WebhookIntake.endpoint(uuid: uuid, app: app, on: app.db))
            let created = Date(timeIntervalSince1970: 1_764_800_000.25)
            let full = NewSignal(
                userID: endpoint.userID, symbol: "ETHUSDT", module: "tradingview", side: .short, exchange: .bybit,
                source: .tradingview, orderType: .limit, action: .close, baseRiskPercent: 0.5, entryPrice: 2_000.5,
                stopLoss: 2_100.25, takeProfit: 1_800.75, qty: 0.125, webhookID: endpoint.id, alertID: "id:full",
                bodyHash: "hash-full", createdAt: created)
            let bare = NewSignal(
                userID: endpoint.userID, symbol: "BTCUSDT", module: "signals", side: .long, exchange: .binance,
                source: .tradingview, createdAt: created.addingTimeInterval(1))
            let last = NewSignal(
                userID: endpoint.userID, symbol: "SOLUSDT", module: "tradingview", side: .long, exchange: .binance,
                source: .tradingview, stopLoss: 99, qty: 3, webhookID: endpoint.id, alertID: "id:last",
                createdAt: created.addingTimeInterval(2))
            let rows = [full, bare, last].map { PostgresSignalWriteStore.Accepted(signal: $0, details: "{}") }
            let postgres = try #require(app.db as? any PostgresDatabase)
            #expect(
                try await PostgresSignalWriteStore.storeAccepted(rows, on: postgres, logger: app.logger) == [
                    .stored, .stored, .stored,
                ])
            for expected in [full, bare, last] {
                let stored = try #require(try await Signal.find(expected.id, on: app.db))
                #expect(stored.$user.id == expected.userID && stored.symbol == expected.symbol)
                #expect(stored.module == expected.module && stored.side == expected.side)
                #expect(stored.exchange == expected.exchange.rawValue && stored.source == expected.source)
                #expect(stored.orderType == expected.orderType && stored.action == expected.action)
                #expect(stored.baseRiskPercent == expected.baseRiskPercent && stored.entryPrice == expected.entryPrice)
                #expect(stored.stopLoss == expected.stopLoss && stored.takeProfit == expected.takeProfit)
                #expect(stored.qty == expected.qty && stored.webhookID == expected.webhookID)
                #expect(stored.alertID == expected.alertID && stored.bodyHash == expected.bodyHash)
                #expect(stored.status == .created && stored.reasonCodesJSON == "[]" && stored.leaseCount == 0)
                #expect(stored.leasedUntil == nil)
                #expect(abs(stored.createdAt.timeIntervalSince(expected.createdAt)) < 0.001)
                #expect(stored.updatedAt == stored.createdAt)
            }
        }
    }
}
