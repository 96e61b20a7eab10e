import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// The worker's batches (issue 21, item 1): one claim split by user, each user's signals in their
/// order with one locked decision for a run of opens, and the open checks' reads served by
/// indexes whatever the user's history.
@Suite struct WorkerBatchTests {
    /// Alerts sent while no worker runs, one after another (so their order is the order of
    /// `created_at`).
    static func queue(_ client: Client, uuid: String, secret: String, _ alerts: [(String, String)]) async throws {
        for (index, (symbol, side)) in alerts.enumerated() {
            let levels = side == "close" ? #""price":105"# : #""price":100,"stop_loss":95,"take_profit":110"#
            let body =
                #"{"secret":"\#(secret)","symbol":"\#(symbol)","side":"\#(side)",\#(levels),"alert_id":"w-\#(index)"}"#
            #expect(try await client.alert(uuid, body).status == .accepted)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func aClaimIsSplitByUserInOrder() throws {
        let (a, b) = (UUID(), UUID())
        func signal(_ user: UUID, _ symbol: String) -> Signal {
            let signal = Signal()
            signal.$user.id = user
            signal.symbol = symbol
            return signal
        }
        let claimed = [signal(a, "1"), signal(b, "2"), signal(a, "3"), signal(b, "4"), signal(a, "5")]
        let groups = ExecutionWorker.byUser(claimed)
        #expect(groups.map { $0.map(\.symbol) } == [["1", "3", "5"], ["2", "4"]])
        #expect(ExecutionWorker.claimSize(concurrency: 1) == 256 && ExecutionWorker.claimSize(concurrency: 4) == 1024)
        #expect(ExecutionWorker.claimSize(concurrency: 64) == 1024)
    }

    /// Three users with four alerts each, queued, then one pass of the worker: every user's run is
    /// decided against its own state, one open each and three refusals by the cooldown, exactly
    /// what sequential execution gives.
    @Test(arguments: TestDatabase.all)
    func eachUsersRunIsDecidedAgainstItsOwnState(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.workerConcurrency = 2 }) { app in
            let client = Client(app: app)
            var users: [UUID] = []
            for index in 0..<3 {
                let (_, uuid, secret) = try await client.webhookUser("batch\(index)@trading.co")
                try await Self.queue(
                    client, uuid: uuid, secret: secret,
                    [("BTCUSDT", "buy"), ("ETHUSDT", "buy"), ("SOLUSDT", "buy"), ("XRPUSDT", "buy")])
                users.append(
                    try #require(
                        try await User.query(on: app.db).filter(\.$email == "batch\(index)@trading.co").first()?.id))
            }
            #expect(try await ExecutionWorker.runOnce(app: app))
            for user in users {
                let signals = try await Signal.query(on: app.db).filter(\.$user.$id == user).sort(\.$createdAt).all()
                #expect(
                    signals.map(\.status) == [.opened, .rejected, .rejected, .rejected], "\(signals.map(\.status))")
                #expect(signals.dropFirst().allSatisfy { $0.reasonCodes == ["cooldown_passed"] })
                #expect(try await Position.query(on: app.db).filter(\.$user.$id == user).count() == 1)
                #expect(try await Order.query(on: app.db).filter(\.$user.$id == user).count() == 1)
            }
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "signal.rejected").count()
            #expect(audited == 9)
        }
    }

    /// A user's signals run in their order: an open, then the close of its symbol, then an open
    /// of another symbol. Run out of order, the close would find no position.
    @Test(arguments: TestDatabase.all)
    func aUsersSignalsRunInTheirOrder(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.workerConcurrency = 2 }) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            try await Self.queue(
                client, uuid: uuid, secret: secret, [("BTCUSDT", "buy"), ("BTCUSDT", "close"), ("ETHUSDT", "buy")])
            #expect(try await ExecutionWorker.runOnce(app: app))
            let signals = try await Signal.query(on: app.db).sort(\.$createdAt).all()
            #expect(
                signals.map(\.status) == [.completed, .completed, .rejected],
                "\(signals.map { "\($0.status) \($0.reasonCodes)" })")
            let positions = try await Position.query(on: app.db).all()
            #expect(positions.count == 1 && positions.first?.status == .closed && positions.first?.symbol == "BTCUSDT")
            // The second open came right after a close: the cooldown counts the close.
            #expect(signals.last?.reasonCodes == ["cooldown_passed"])
        }
    }

    /// Refusals are written together: one statement moves every refused signal that is still
    /// `EXECUTING` to `REJECTED` with its own reasons, and says how many moved.
    @Test(arguments: TestDatabase.all)
    func refusalsMoveTogetherOnlyFromExecuting(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (_, uuid, secret) = try await client.webhookUser()
            try await Self.queue(
                client, uuid: uuid, secret: secret, [("BTCUSDT", "buy"), ("ETHUSDT", "buy"), ("SOLUSDT", "buy")])
            let claimed = try await SignalClaims(app: app, db: app.db).claim(.worker, limit: 2)
            let waiting = try #require(try await Signal.query(on: app.db).filter(\.$status == .created).first())
            let changes =
                try claimed.map { (try $0.requireID(), ["a_\($0.symbol)"]) } + [(try waiting.requireID(), ["x"])]
            let moved = try await SignalStateStore().transitionSignals(
                changes, from: .executing, to: .rejected, now: Date(), on: app.db)
            #expect(moved == 2)
            for signal in claimed {
                let stored = try #require(try await Signal.find(signal.id, on: app.db))
                #expect(stored.status == .rejected && stored.reasonCodes == ["a_\(signal.symbol)"])
            }
            let untouched = try #require(try await Signal.find(waiting.id, on: app.db))
            #expect(untouched.status == .created && untouched.reasonCodes == [])
        }
    }

    /// The open checks' reads are index ranges of the user's rows (`AddExecutionIndexes`), so a
    /// decision costs the same with a long history: the plan of the risk state's statement uses
    /// the new indexes on both databases.
    @Test(arguments: TestDatabase.all)
    func theRiskStateReadsTheUsersIndexRanges(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let sql = try app.db.sql(for: "test")
            let plan: [String]
            let statement = SQLQueryString(numbered: RiskStateStore.sql, binds: [UUID(), "2026-01-01"])
            switch database {
            case .postgres:
                plan = try await app.db.transaction { tx in
                    let sql = try tx.sql(for: "test")
                    try await sql.raw("SET LOCAL enable_seqscan = off").run()
                    return try await sql.raw("EXPLAIN " + statement).all().map {
                        try $0.decode(column: "QUERY PLAN", as: String.self)
                    }
                }
            case .sqlite:
                plan = try await sql.raw("EXPLAIN QUERY PLAN " + statement).all().map {
                    try $0.decode(column: "detail", as: String.self)
                }
            }
            let text = plan.joined(separator: "\n")
            #expect(text.contains("idx_positions_user_closed_at"), "\(text)")
            #expect(text.contains("idx_orders_user_pending"), "\(text)")
        }
    }
}
