import Fluent
import Foundation
import SQLKit
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// The stores called directly: the implementation chosen for each database, and what each store
/// reads and writes. The HTTP tests (SignalsTests, PositionsTests, AuthTests, JSONWriterTests)
/// check the answers built on them.
@Suite struct StoresTests {
    @Test(arguments: TestDatabase.all)
    func theConfiguredDatabaseChoosesTheStores(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            let stores = app.stores
            switch database {
            case .postgres:
                #expect(stores.callers is PostgresCallerStore)
                #expect(stores.signalWrites is PostgresSignalWriteStore)
                #expect(stores.positionReads is PostgresPositionReadStore)
                #expect(stores.claims is PostgresClaimStore)
                #expect(stores.transactions is PostgresTransactionStore)
                #expect(stores.webhookEndpoints is PostgresWebhookEndpointStore)
                #expect(stores.auditChain is PostgresAuditChainStore)
                #expect(stores.opsFacts is PostgresOpsFactsStore)
                #expect(stores.makeSignalListener() is PostgresSignalListener)
            case .sqlite:
                #expect(stores.callers is SQLiteCallerStore)
                #expect(stores.signalWrites is SQLiteSignalWriteStore)
                #expect(stores.positionReads is SQLitePositionReadStore)
                #expect(stores.claims is SQLiteClaimStore)
                #expect(stores.transactions is SQLiteTransactionStore)
                #expect(stores.webhookEndpoints is SQLiteWebhookEndpointStore)
                #expect(stores.auditChain is SQLiteAuditChainStore)
                #expect(stores.opsFacts is SQLiteOpsFactsStore)
                #expect(stores.makeSignalListener() is SQLiteSignalListener)
            }
        }
    }

    @Test func aStoreGivenTheOtherDatabaseThrows() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            await #expect(throws: StoreDatabaseMismatch.self) {
                _ = try await PostgresCallerStore().caller(userID: UUID(), family: UUID(), now: Date(), on: app.db)
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func callerIsFoundOnlyThroughALiveSession(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let user = User(email: "caller@example.com", passwordHash: "x", displayName: "Caller", role: .viewer)
            try await user.create(on: app.db)
            let userID = try user.requireID()
            let now = Date()
            let live = UUID()
            let revoked = UUID()
            try await Session(
                userID: userID, familyID: live, tokenHash: "a", expiresAt: now.addingTimeInterval(3600), createdAt: now
            ).create(on: app.db)
            let revokedSession = Session(
                userID: userID, familyID: revoked, tokenHash: "b", expiresAt: now.addingTimeInterval(3600),
                createdAt: now)
            revokedSession.revokedAt = now
            try await revokedSession.create(on: app.db)
            let store = app.stores.callers

            let found = try await store.caller(userID: userID, family: live, now: now, on: app.db)
            #expect(found?.email == "caller@example.com")
            #expect(found?.role == "viewer")
            #expect(found?.displayName == "Caller")
            #expect(try await store.caller(userID: userID, family: revoked, now: now, on: app.db) == nil)
            #expect(
                try await store.caller(userID: userID, family: live, now: now.addingTimeInterval(7200), on: app.db)
                    == nil)
            #expect(try await store.caller(userID: userID, family: UUID(), now: now, on: app.db) == nil)
            #expect(try await store.caller(userID: UUID(), family: live, now: now, on: app.db) == nil)
        }
    }

    @Test(arguments: TestDatabase.all)
    func signalCreateWritesTheSignalAndItsAuditRow(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let user = User(email: "writer@example.com", passwordHash: "x", role: .trader)
            try await user.create(on: app.db)
            let createdAt = Date(timeIntervalSince1970: 1_780_000_000)
            let signal = NewSignal(
                userID: try user.requireID(), symbol: "ETHUSDT", module: "swing", side: .short, exchange: .bybit,
                source: .api, baseRiskPercent: 0.5, entryPrice: 100, stopLoss: 105,
                takeProfit: 90, createdAt: createdAt)
            try await app.stores.signalWrites.create(
                signal, auditDetails: ["symbol": .string("ETHUSDT")], on: app.db)

            let stored = try #require(try await Signal.find(signal.id, on: app.db))
            #expect(try SignalOut(stored).id == SignalOut(signal).id)
            #expect(
                try JSONCoding.encode(try SignalOut(stored)) == JSONCoding.encode(SignalOut(signal)))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$entityID == signal.id.uuidString).all()
            #expect(audit.map(\.action) == [AuditAction.signalCreate.rawValue])
            #expect(audit.first?.userID == signal.userID)
            #expect(audit.first?.entityType == "signal")
            #expect(audit.first?.details == #"{"symbol":"ETHUSDT"}"#)
        }
    }

    /// A webhook alert with an id is stored once with its `webhook.accepted` row; the same
    /// `(webhook, alert id)` again is refused (false) and stores nothing, on both databases (SQLite
    /// reports the conflict as a constraint failure, PostgreSQL's statement skips the row).
    @Test(arguments: TestDatabase.all)
    func acceptStoresAnAlertOnceAndRefusesATakenAlertID(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let (_, uuid, _) = try await Client(app: app).webhookUser()
            let endpoint = try #require(try await app.stores.webhookEndpoints.endpoint(uuid: uuid, on: app.db))
            #expect(endpoint.webhookUUID == uuid && endpoint.ownerRole == .trader && endpoint.enabled)
            #expect(
                try await app.stores.webhookEndpoints.endpoint(uuid: UUID().uuidString.lowercased(), on: app.db) == nil)
            func alert(_ alertID: String) -> NewSignal {
                NewSignal(
                    userID: endpoint.userID, symbol: "BTCUSDT", module: "tradingview", side: .long, exchange: .binance,
                    source: .tradingview, orderType: .limit, action: .open, entryPrice: 30_000,
                    webhookID: endpoint.id, alertID: alertID, bodyHash: "hash", createdAt: Date())
            }
            let first = alert("id:a")
            #expect(try await app.stores.signalWrites.accept(first, auditDetails: ["n": .int(1)], on: app.db))
            #expect(try await !app.stores.signalWrites.accept(alert("id:a"), auditDetails: ["n": .int(2)], on: app.db))
            let stored = try await Signal.query(on: app.db).all()
            #expect(stored.map(\.id) == [first.id])
            #expect(stored.first?.orderType == .limit && stored.first?.source == .tradingview)
            #expect(
                stored.first?.status == .created && stored.first?.leaseCount == 0 && stored.first?.leasedUntil == nil)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "webhook.accepted").all()
            #expect(audit.map(\.details) == [#"{"n":1}"#])
        }
    }

    /// PostgreSQL statements are written once with `$n` parameters and run on SQLite through
    /// `SQLQueryString(numbered:)`: each `$n` binds its value, a repeated one binds again, and a `$`
    /// not followed by a digit stays text.
    @Test func numberedParametersBindOnSQLite() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let query = SQLQueryString(
                numbered: "SELECT $2 AS b, $1 AS a, $1 || '$x' AS again, $10 AS tenth",
                binds: ["one", "two", 3, 4, 5, 6, 7, 8, 9, "ten"])
            let row = try #require(try await app.db.sql(for: "test").raw(query).first())
            #expect(try row.decode(column: "a", as: String.self) == "one")
            #expect(try row.decode(column: "b", as: String.self) == "two")
            #expect(try row.decode(column: "again", as: String.self) == "one$x")
            #expect(try row.decode(column: "tenth", as: String.self) == "ten")
        }
    }

    @Test(arguments: TestDatabase.all)
    func positionListFiltersOrdersAndLimits(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let user = User(email: "reader@example.com", passwordHash: "x", role: .trader)
            try await user.create(on: app.db)
            let other = User(email: "other@example.com", passwordHash: "x", role: .trader)
            try await other.create(on: app.db)
            let userID = try user.requireID()
            let start = Date(timeIntervalSince1970: 1_780_000_000)
            var ids: [UUID] = []
            for index in 0..<5 {
                let position = Position()
                position.id = UUID()
                position.$user.id = userID
                position.symbol = "BTCUSDT"
                position.exchange = "BINANCE"
                position.side = .long
                position.qty = Double(index + 1)
                position.entryPrice = 100
                position.stopLoss = index == 0 ? nil : 95
                position.takeProfit = 110
                position.status = index.isMultiple(of: 2) ? .open : .closed
                position.openedAt = start.addingTimeInterval(Double(index) * 60)
                position.openedDay = "2026-05-28"
                position.fees = 0
                try await position.create(on: app.db)
                ids.append(try position.requireID())
            }
            let foreign = Position()
            foreign.$user.id = try other.requireID()
            foreign.symbol = "BTCUSDT"
            foreign.exchange = "BINANCE"
            foreign.side = .long
            foreign.qty = 1
            foreign.entryPrice = 100
            foreign.status = .open
            foreign.openedAt = start.addingTimeInterval(3600)
            foreign.openedDay = "2026-05-28"
            foreign.fees = 0
            try await foreign.create(on: app.db)
            let store = app.stores.positionReads

            let all = try await store.list(userID: userID, status: nil, limit: 100, on: app.db)
            #expect(all.map(\.id) == Array(ids.reversed()))
            let open = try await store.list(userID: userID, status: .open, limit: 100, on: app.db)
            #expect(open.map(\.id) == [ids[4], ids[2], ids[0]])
            #expect(open.allSatisfy { $0.status == "OPEN" })
            let limited = try await store.list(userID: userID, status: .closed, limit: 1, on: app.db)
            #expect(limited.map(\.id) == [ids[3]])
            let first = try #require(all.last)
            #expect(first.stopLoss == nil)
            #expect(first.qty == 1)
            #expect(first.openedAt == start)
            #expect(first.signalId == nil)
            #expect(first.userId == userID)
        }
    }

    /// ``Durability``: every write waits for the disk unless it asks not to, and a connection
    /// that served a deferred write waits again afterwards, even when the write failed.
    @Test(arguments: TestDatabase.all)
    func onlyDeferredWritesSkipWaitingForTheDisk(_ database: TestDatabase) async throws {
        struct Refused: Error {}
        if database == .postgres {
            // The test cluster runs with synchronous_commit = off, a server's default is on: the
            // sessions of the next test app start with on.
            try await withTestApp(database, migrate: false) { app in
                try await app.db.sql(for: "StoresTests").raw("ALTER ROLE CURRENT_USER SET synchronous_commit TO ON")
                    .run()
            }
        }
        // SQLite: PRAGMA synchronous (2 = FULL, 1 = NORMAL); PostgreSQL: synchronous_commit.
        let setting: @Sendable (any Database) async throws -> String = { db in
            let sql = try db.sql(for: "StoresTests")
            switch database {
            case .sqlite:
                let row = try await sql.raw("PRAGMA synchronous").first()
                return String(try #require(row).decode(column: "synchronous", as: Int.self))
            case .postgres:
                let row = try await sql.raw("SHOW synchronous_commit").first()
                return try #require(row).decode(column: "synchronous_commit", as: String.self)
            }
        }
        let (durable, deferred) = database == .sqlite ? ("2", "1") : ("on", "off")
        do {
            try await withTestApp(database) { app in
                let transactions = app.stores.transactions
                #expect(try await transactions.run(on: app.db) { try await setting($0) } == durable)
                #expect(
                    try await transactions.run(on: app.db, durability: .beforeReturn) { try await setting($0) }
                        == durable)
                #expect(
                    try await transactions.run(on: app.db, durability: .deferred) { try await setting($0) } == deferred)
                // Outside a transaction PostgreSQL stays durable (a SET and a RESET would cost more).
                #expect(
                    try await transactions.writing(on: app.db, durability: .deferred) { try await setting($0) }
                        == (database == .sqlite ? deferred : durable))
                #expect(
                    try await transactions.writing(on: app.db, durability: .beforeReturn) { try await setting($0) }
                        == durable)
                #expect(try await setting(app.db) == durable)
                guard database == .sqlite else { return }
                // SQLite's setting belongs to the connection: the same connection afterwards, after a
                // deferred write that succeeded and one that threw. (PostgreSQL's is the transaction's.)
                try await app.db.withConnection { connection in
                    _ = try await transactions.writing(on: connection, durability: .deferred) { try await setting($0) }
                    #expect(try await setting(connection) == durable)
                    await #expect(throws: Refused.self) {
                        try await transactions.run(on: connection, durability: .deferred) { _ in throw Refused() }
                    }
                    #expect(try await setting(connection) == durable)
                }
            }
        } catch {
            if database == .postgres { try await resetRoleSetting() }
            throw error
        }
        if database == .postgres { try await resetRoleSetting() }
    }

    private func resetRoleSetting() async throws {
        try await withTestApp(.postgres, migrate: false) { app in
            try await app.db.sql(for: "StoresTests").raw("ALTER ROLE CURRENT_USER RESET synchronous_commit").run()
        }
    }
}
