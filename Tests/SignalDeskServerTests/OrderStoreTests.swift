import Fluent
import Foundation
import SignalDeskCore
import SignalDeskVenues
import Testing
import VaporTesting

@testable import SignalDeskServer

/// ``OrderStore`` and ``SignalStateStore`` and ``DailyRiskStore`` called directly on both databases: every write changes only
/// the row it names, and the conditional ones leave a row in another state as it was. The
/// execution tests (ExecutionTests, ExecutionEngineTests, ConcurrentOpenTests, PositionsTests)
/// check the flows built on them.
@Suite struct OrderStoreTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)

    static func user(_ app: Application, _ email: String) async throws -> UUID {
        let user = User(email: email, passwordHash: "x", role: .trader)
        try await user.create(on: app.db)
        return try user.requireID()
    }

    static func signal(_ app: Application, userID: UUID, status: SignalStatus = .executing) async throws -> UUID {
        let signal = Signal.webhookRow(userID: userID, status: status)
        try await signal.create(on: app.db)
        return try signal.requireID()
    }

    static func order(_ app: Application, _ clientOrderID: String) async throws -> Order {
        try #require(try await Order.query(on: app.db).filter(\.$clientOrderID == clientOrderID).first())
    }

    static func request(_ clientOrderID: String, qty: Double = 1, price: Double? = 100) -> OrderRequest {
        OrderRequest(symbol: "BTCUSDT", side: .long, qty: qty, price: price, clientOrderID: clientOrderID)
    }

    /// The reservation is written `PENDING` once; a second one with the same client order id writes
    /// nothing, answers false and leaves the first row as it was.
    @Test(arguments: TestDatabase.all)
    func reserveWritesThePendingRowOnce(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let userID = try await Self.user(app, "reserve@example.com")
            let signalID = try await Self.signal(app, userID: userID)
            let store = OrderStore()
            #expect(
                try await store.reserve(
                    Self.request("sd-a"), userID: userID, signalID: signalID, venue: "PAPER", now: Self.start,
                    on: app.db))
            #expect(
                try await !store.reserve(
                    Self.request("sd-a", qty: 7, price: nil), userID: userID, signalID: signalID, venue: "BINANCE",
                    now: Self.start.addingTimeInterval(60), on: app.db))
            #expect(try await Order.query(on: app.db).count() == 1)
            let row = try await Self.order(app, "sd-a")
            #expect(row.status == "PENDING" && row.venue == "PAPER" && row.qty == 1 && row.price == 100)
            #expect(row.side == "BUY" && row.symbol == "BTCUSDT")
            #expect(row.$user.id == userID && row.$signal.id == signalID && row.$position.id == nil)
            #expect(row.createdAt == Self.start && row.updatedAt == Self.start)
            #expect(row.venueOrderID == nil && row.filledQty == nil && row.error == nil)
        }
    }

    /// The venue's answer, a failed placement and the booked position each change the order they
    /// name and no other.
    @Test(arguments: TestDatabase.all)
    func updatesChangeOnlyTheOrderTheyName(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let userID = try await Self.user(app, "orders@example.com")
            let store = OrderStore()
            for clientOrderID in ["sd-a", "sd-b"] {
                let signalID = try await Self.signal(app, userID: userID)
                #expect(
                    try await store.reserve(
                        Self.request(clientOrderID), userID: userID, signalID: signalID, venue: "PAPER",
                        now: Self.start, on: app.db))
            }
            let later = Self.start.addingTimeInterval(60)

            try await store.recordResult(
                OrderResult(
                    clientOrderID: "sd-a", venueOrderID: "v-1", status: .filled, filledQty: 1, averagePrice: 101),
                clientOrderID: "sd-a", now: later, on: app.db)
            var a = try await Self.order(app, "sd-a")
            var b = try await Self.order(app, "sd-b")
            #expect(a.status == "FILLED" && a.venueOrderID == "v-1" && a.filledQty == 1 && a.averagePrice == 101)
            #expect(a.updatedAt == later)
            #expect(b.status == "PENDING" && b.venueOrderID == nil && b.filledQty == nil && b.averagePrice == nil)
            #expect(b.updatedAt == Self.start)

            try await store.recordFailure(.unknown, error: "timeout", clientOrderID: "sd-b", now: later, on: app.db)
            a = try await Self.order(app, "sd-a")
            b = try await Self.order(app, "sd-b")
            #expect(b.status == "UNKNOWN" && b.error == "timeout" && b.updatedAt == later)
            #expect(a.status == "FILLED" && a.error == nil)

            try await store.recordFailure(
                .rejected, error: "refused", clientOrderID: "sd-b", now: later.addingTimeInterval(60), on: app.db)
            a = try await Self.order(app, "sd-a")
            b = try await Self.order(app, "sd-b")
            #expect(b.status == "REJECTED" && b.error == "refused")
            #expect(a.status == "FILLED" && a.error == nil && a.updatedAt == later)

            let position = Position()
            position.$user.id = userID
            position.symbol = "BTCUSDT"
            position.exchange = "BINANCE"
            position.side = .long
            position.qty = 1
            position.entryPrice = 101
            position.status = .open
            position.openedAt = later
            position.openedDay = "2026-05-28"
            position.fees = 0
            try await position.create(on: app.db)
            try await store.attachPosition(try position.requireID(), clientOrderID: "sd-a", on: app.db)
            #expect(try await Self.order(app, "sd-a").$position.id == position.id)
            #expect(try await Self.order(app, "sd-b").$position.id == nil)
        }
    }

    /// A signal moves only from the state it is expected in: from another state nothing changes
    /// and the answer is false; other signals never change.
    @Test(arguments: TestDatabase.all)
    func signalTransitionIsConditional(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let userID = try await Self.user(app, "lifecycle@example.com")
            let moved = try await Self.signal(app, userID: userID)
            let other = try await Self.signal(app, userID: userID)
            let store = SignalStateStore()
            let later = Self.start.addingTimeInterval(60)
            func status(_ id: UUID) async throws -> SignalStatus? { try await Signal.find(id, on: app.db)?.status }

            #expect(try await !store.transitionSignal(moved, from: .created, to: .rejected, now: later, on: app.db))
            #expect(try await status(moved) == .executing)
            #expect(try await store.transitionSignal(moved, from: .executing, to: .opened, now: later, on: app.db))
            #expect(try await status(moved) == .opened)
            #expect(try await Signal.find(moved, on: app.db)?.updatedAt == later)
            #expect(try await status(other) == .executing)
            #expect(try await !store.transitionSignal(moved, from: .executing, to: .failed, now: later, on: app.db))
            #expect(try await status(moved) == .opened)

            // Reason codes travel with the transition, and only when it happens.
            let reasons = ["risk_per_trade", "cooldown_passed"]
            #expect(
                try await !store.transitionSignal(
                    other, from: .created, to: .rejected, reasons: reasons, now: later, on: app.db))
            #expect(try await Signal.find(other, on: app.db)?.reasonCodes == [])
            #expect(
                try await store.transitionSignal(
                    other, from: .executing, to: .rejected, reasons: reasons, now: later, on: app.db))
            #expect(try await Signal.find(other, on: app.db)?.reasonCodes == reasons)
            #expect(try await status(other) == .rejected)
            #expect(try await Signal.find(moved, on: app.db)?.reasonCodes == [])
        }
    }

    /// The day's risk row is written once (a second ensure keeps its counts) and each close adds
    /// one trade and its P&L to that user's row for that day only.
    @Test(arguments: TestDatabase.all)
    func dailyRowIsWrittenOnceAndClosesAddToItsOwnRow(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let userID = try await Self.user(app, "daily@example.com")
            let otherUser = try await Self.user(app, "daily-other@example.com")
            let store = DailyRiskStore()
            let later = Self.start.addingTimeInterval(60)
            try await store.ensureDailyRow(userID: userID, day: "2026-05-28", now: Self.start, on: app.db)
            try await store.ensureDailyRow(userID: userID, day: "2026-05-29", now: Self.start, on: app.db)
            try await store.ensureDailyRow(userID: otherUser, day: "2026-05-28", now: Self.start, on: app.db)

            try await store.addClosedTrade(userID: userID, day: "2026-05-28", realizedPnL: 5, now: later, on: app.db)
            try await store.ensureDailyRow(userID: userID, day: "2026-05-28", now: later, on: app.db)
            try await store.addClosedTrade(userID: userID, day: "2026-05-28", realizedPnL: -2, now: later, on: app.db)

            func row(_ user: UUID, _ day: String) async throws -> DailyRiskState {
                try #require(
                    try await DailyRiskState.query(on: app.db).filter(\.$user.$id == user).filter(\.$day == day)
                        .first())
            }
            #expect(try await DailyRiskState.query(on: app.db).count() == 3)
            let today = try await row(userID, "2026-05-28")
            #expect(today.tradesCount == 2 && today.realizedPnL == 3 && today.updatedAt == later)
            let tomorrow = try await row(userID, "2026-05-29")
            #expect(tomorrow.tradesCount == 0 && tomorrow.realizedPnL == 0 && tomorrow.updatedAt == Self.start)
            let others = try await row(otherUser, "2026-05-28")
            #expect(others.tradesCount == 0 && others.realizedPnL == 0 && others.updatedAt == Self.start)
        }
    }
}
