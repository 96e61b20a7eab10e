import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct SignalsTests {
    @Test(arguments: TestDatabase.all)
    func createValidatesAndInfersTheSide(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let long = try await client.send(
                .POST, "signals", token: token,
                json: [
                    "symbol": "btcusdt", "module": "swing", "base_risk_percent": 0.5, "entry_price": 100,
                    "stop_loss": 95, "take_profit": 110,
                ])
            #expect(long.status == .ok)
            let body = long.json()
            #expect(body["status"] as? String == "CREATED" && body["side"] as? String == "LONG")
            #expect(body["source"] as? String == "api" && body["exchange"] as? String == "BINANCE")
            #expect(body["symbol"] as? String == "BTCUSDT")
            #expect(body["reason_codes"] as? [String] == [])
            for key in [
                "id", "user_id", "module", "base_risk_percent", "entry_price", "stop_loss", "take_profit", "created_at",
                "updated_at",
            ] {
                #expect(body[key] != nil, "\(key) missing")
            }
            let short = try await client.send(
                .POST, "signals", token: token,
                json: [
                    "symbol": "ETHUSDT", "module": "swing", "base_risk_percent": 1, "entry_price": 100,
                    "stop_loss": 105, "take_profit": 90,
                ])
            #expect(short.json()["side"] as? String == "SHORT")

            let invalid: [[String: Any]] = [
                ["entry_price": -1, "stop_loss": 95, "take_profit": 110],
                ["entry_price": 100, "stop_loss": 0, "take_profit": 110],
                ["entry_price": 100, "stop_loss": 95, "take_profit": 90],
                ["entry_price": 100, "stop_loss": 100, "take_profit": 110],
                ["entry_price": 100, "stop_loss": 95, "take_profit": 110, "side": "SHORT"],
                ["entry_price": 100, "stop_loss": 95, "take_profit": 110, "exchange": "KRAKEN"],
                ["entry_price": 100, "stop_loss": 95, "take_profit": 110, "base_risk_percent": 0],
                ["entry_price": "100", "stop_loss": 95, "take_profit": 110],
            ]
            for fields in invalid {
                var json: [String: Any] = ["symbol": "BTCUSDT", "module": "swing", "base_risk_percent": 0.5]
                json.merge(fields) { $1 }
                let response = try await client.send(.POST, "signals", token: token, json: json)
                #expect(response.status == .unprocessableEntity, "\(fields) → \(response.status)")
            }
            #expect(try await client.auditCount("signal.create") == 2)
            // The audit row names the caller and the signal, with the details of the API's contract
            // (on PostgreSQL it is written by the same statement as the signal).
            let longID = try #require(body["id"] as? String)
            let entry = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "signal.create")
                    .filter(\.$entityID == UUID(uuidString: longID)?.uuidString).first())
            #expect(entry.userID?.uuidString.lowercased() == body["user_id"] as? String && entry.entityType == "signal")
            #expect(
                entry.details
                    == #"{"exchange":"BINANCE","module":"swing","side":"LONG","source":"api","symbol":"BTCUSDT"}"#)
            let stored = try #require(try await Signal.find(UUID(uuidString: longID), on: app.db))
            #expect(
                stored.symbol == "BTCUSDT" && stored.stopLoss == 95 && stored.takeProfit == 110
                    && stored.source == .api)

            let list = try await client.send(.GET, "signals", token: token)
            let rows = try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]]
            #expect(rows?.map { $0["symbol"] as? String } == ["ETHUSDT", "BTCUSDT"])
            #expect(try await client.send(.GET, "signals?limit=0", token: token).status == .unprocessableEntity)
            #expect(try await client.send(.GET, "signals?limit=501", token: token).status == .unprocessableEntity)
            #expect(try await client.send(.GET, "signals?status=BOGUS", token: token).status == .unprocessableEntity)
            let created = try await client.send(.GET, "signals?status=created&limit=1", token: token)
            #expect(
                (try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [Any])?.count == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func claimTakesTheOldestAndValidatesTheLimit(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let (other, _) = try await client.signIn("bo@trading.co")
            let first = try await client.createSignal(token)
            let second = try await client.createSignal(token)
            _ = try await client.createSignal(other)
            for bad in [0, 101] {
                #expect(
                    try await client.send(.POST, "signals/claim?limit=\(bad)", token: token).status
                        == .unprocessableEntity)
            }
            let claimed = try await client.claim(token, limit: 1)
            #expect(claimed.map { $0["id"] as? String } == [first])
            #expect(claimed.first?["status"] as? String == "EXECUTING")
            let rest = try await client.claim(token, limit: 10)
            #expect(rest.map { $0["id"] as? String } == [second])
            #expect(try await client.claim(token).isEmpty)
            let audit = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "signal.claim").sort(\.$id).first())
            #expect(audit.details == #"{"claimed_count":1,"limit":1}"#)
        }
    }

    @Test(arguments: TestDatabase.all)
    func twentyConcurrentClaimersGetEachSignalExactlyOnce(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let user = try #require(try await User.query(on: app.db).first())
            let start = Date().addingTimeInterval(-1000)
            try await app.db.transaction { tx in
                for index in 0..<200 {
                    let signal = Signal()
                    signal.$user.id = user.id!
                    signal.symbol = "BTCUSDT"; signal.module = "swing"; signal.side = .long; signal.exchange = "BINANCE"
                    signal.source = .api; signal.orderType = .market; signal.action = .open; signal.entryPrice = 100;
                    signal.stopLoss = 95
                    signal.takeProfit = 110; signal.status = .created; signal.reasonCodes = []; signal.leaseCount = 0
                    signal.createdAt = start.addingTimeInterval(Double(index)); signal.updatedAt = signal.createdAt
                    try await signal.create(on: tx)
                }
            }
            let perClaimer = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await client.claim(token, limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch.compactMap { $0["id"] as? String }
                        }
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            let all = perClaimer.flatMap { $0 }
            #expect(all.count == 200)
            #expect(Set(all).count == 200)
            #expect(try await Signal.query(on: app.db).filter(\.$status == .executing).count() == 200)
        }
    }

    @Test(arguments: TestDatabase.all)
    func leasesReturnOnceThenExpire(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let id = try await client.createSignal(token)
            _ = try await client.claim(token)
            let store = SignalClaims(app: app, db: app.db)
            // Still leased: nothing happens.
            #expect(try await store.expireLeases().returned == 0)
            let later = Date().addingTimeInterval(Double(app.appConfig.signalLeaseSeconds) + 1)
            #expect(try await store.expireLeases(now: later) == (1, 0))
            #expect(try await Signal.find(UUID(uuidString: id), on: app.db)?.status == .created)
            #expect(try await client.claim(token).count == 1)
            #expect(
                try await store.expireLeases(
                    now: later.addingTimeInterval(Double(app.appConfig.signalLeaseSeconds) + 1)) == (0, 1))
            let signal = try #require(try await Signal.find(UUID(uuidString: id), on: app.db))
            #expect(signal.status == .expired && signal.reasonCodes == ["lease_expired"])
            #expect(try await client.claim(token).isEmpty)
        }
    }
}

@Suite struct LeaseSweeperTests {
    @Test(arguments: TestDatabase.all)
    func theSweeperReturnsAbandonedClaimsOnItsOwn(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.signalLeaseSeconds = 5 }) { app in
            app.lifecycle.use(LeaseSweeper(interval: .milliseconds(50)))
            try await app.asyncBoot()
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let id = try #require(UUID(uuidString: try await client.createSignal(token)))
            _ = try await client.claim(token)
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE signals SET leased_until = \(bind: Date().addingTimeInterval(-1))"
            ).run()
            // Polled for up to 15 s: on a busy test process a 50 ms sweep can start seconds late.
            #expect(try await eventually(15) { try await Signal.find(id, on: app.db)?.status == .created })
        }
    }
}
