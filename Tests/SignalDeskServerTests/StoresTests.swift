import Fluent
import Foundation
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
            case .sqlite:
                #expect(stores.callers is SQLiteCallerStore)
                #expect(stores.signalWrites is SQLiteSignalWriteStore)
                #expect(stores.positionReads is SQLitePositionReadStore)
                #expect(stores.claims is SQLiteClaimStore)
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
                userID: try user.requireID(), symbol: "ETHUSDT", module: "swing", side: .short, exchange: "BYBIT",
                source: SignalSource.api.rawValue, baseRiskPercent: 0.5, entryPrice: 100, stopLoss: 105,
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
}
