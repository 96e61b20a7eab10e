import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Subscriptions (issue 24): the gate in the worker's locked step, the once-a-day notice, the
/// reminders, and the routes, on both databases.
@Suite struct SubscriptionsTests {
    static var iso: ISO8601DateFormatter { ISO8601DateFormatter() }

    /// An admin sets `email`'s subscription; returns the answer.
    static func setSubscription(
        _ client: Client, admin: String, _ email: String, status: String, end: Date?, plan: String = "pro"
    ) async throws -> TestingHTTPResponse {
        var body: [String: Any] = ["plan": plan, "status": status]
        if let end { body["current_period_end"] = iso.string(from: end) }
        return try await client.send(.PUT, "ops/admin/subscriptions/\(email)", token: admin, json: body)
    }

    static func alert(_ secret: String, _ symbol: String, _ id: String) -> String {
        #"{"secret":"\#(secret)","symbol":"\#(symbol)","side":"buy","price":100,"stop_loss":95,"take_profit":110,"alert_id":"\#(id)"}"#
    }

    static func messages(_ app: Application, _ userID: UUID, containing text: String) async throws -> Int {
        try await OutboxMessage.query(on: app.db).filter(\.$user.$id == userID).all()
            .filter { $0.payload.contains(text) }.count
    }

    @Test(arguments: TestDatabase.all)
    func anExpiredUsersAlertIsAcceptedThenRefusedAuditedAndToldOnceADay(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.subscriptionRequired = true }) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("boss@desk.io", role: .admin)
            let (_, uuid, secret) = try await client.webhookUser("late@trading.co")
            let userID = try #require(
                try await User.query(on: app.db).filter(\.$email == "late@trading.co").first()?.id)
            let set = try await Self.setSubscription(
                client, admin: admin, "late@trading.co", status: "expired", end: Date().addingTimeInterval(-3600))
            #expect(set.status == .ok, "\(set.body.string)")
            for (index, symbol) in ["BTCUSDT", "ETHUSDT", "SOLUSDT"].enumerated() {
                #expect(try await client.alert(uuid, Self.alert(secret, symbol, "late-\(index)")).status == .accepted)
            }
            #expect(try await ExecutionWorker.runOnce(app: app))
            let signals = try await Signal.query(on: app.db).filter(\.$user.$id == userID).all()
            #expect(signals.count == 3)
            #expect(signals.allSatisfy { $0.status == .rejected && $0.reasonCodes == ["subscription_inactive"] })
            #expect(try await Position.query(on: app.db).filter(\.$user.$id == userID).count() == 0)
            #expect(try await Order.query(on: app.db).filter(\.$user.$id == userID).count() == 0)
            #expect(try await client.auditCount("execution.blocked.subscription") == 3)
            #expect(try await client.auditCount("signal.rejected") == 0)
            #expect(try await Self.messages(app, userID, containing: "Subscription inactive") == 1)
            #expect(try await Self.messages(app, userID, containing: "Rejected") == 0, "no message per alert")
            // Later the same day: refused again, not told again.
            #expect(try await client.alert(uuid, Self.alert(secret, "XRPUSDT", "late-3")).status == .accepted)
            #expect(try await ExecutionWorker.runOnce(app: app))
            #expect(try await client.auditCount("execution.blocked.subscription") == 4)
            #expect(try await Self.messages(app, userID, containing: "Subscription inactive") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func anActiveOrTrialingUserTradesAndNobodyIsGatedWithoutTheSetting(_ database: TestDatabase) async throws {
        for required in [true, false] {
            try await withTestApp(database, adjust: { $0.subscriptionRequired = required }) { app in
                let client = Client(app: app)
                let (admin, _) = try await client.signIn("boss@desk.io", role: .admin)
                let emails = ["active@trading.co", "trial@trading.co", "none@trading.co", "canceled@trading.co"]
                var hooks: [String: (String, String)] = [:]
                for email in emails {
                    let (_, uuid, secret) = try await client.webhookUser(email)
                    hooks[email] = (uuid, secret)
                }
                let end = Date().addingTimeInterval(86_400 * 30)
                #expect(
                    try await Self.setSubscription(client, admin: admin, emails[0], status: "active", end: end).status
                        == .ok)
                #expect(
                    try await Self.setSubscription(client, admin: admin, emails[1], status: "trialing", end: end).status
                        == .ok)
                #expect(
                    try await Self.setSubscription(client, admin: admin, emails[3], status: "canceled", end: end).status
                        == .ok)
                for email in emails {
                    let (uuid, secret) = try #require(hooks[email])
                    #expect(
                        try await client.alert(uuid, Self.alert(secret, "BTCUSDT", "a-\(email)")).status == .accepted)
                }
                #expect(try await ExecutionWorker.runOnce(app: app))
                for (index, email) in emails.enumerated() {
                    let user = try #require(try await User.query(on: app.db).filter(\.$email == email).first())
                    let signal = try #require(
                        try await Signal.query(on: app.db).filter(\.$user.$id == user.id!).first())
                    let mayTrade = !required || index < 2
                    #expect(signal.status == (mayTrade ? .opened : .rejected), "\(email) required=\(required)")
                    if !mayTrade { #expect(signal.reasonCodes == ["subscription_inactive"]) }
                }
            }
        }
    }

    /// The period ends between the accept and the execution: the alert is refused; one that is
    /// executed a second before the end trades. Compared to the second, in UTC.
    @Test(arguments: TestDatabase.all)
    func aPeriodThatEndsWhileAlertsWaitStopsThem(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.subscriptionRequired = true }) { app in
            let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down))
            let clock = MovableClock(start)
            app.wallClock = clock
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("boss@desk.io", role: .admin)
            let (_, uuid, secret) = try await client.webhookUser("edge@trading.co")
            let userID = try #require(
                try await User.query(on: app.db).filter(\.$email == "edge@trading.co").first()?.id)
            let end = start.addingTimeInterval(120)
            #expect(
                try await Self.setSubscription(client, admin: admin, "edge@trading.co", status: "active", end: end)
                    .status == .ok)
            // A second before the end: it trades.
            #expect(try await client.alert(uuid, Self.alert(secret, "BTCUSDT", "edge-1")).status == .accepted)
            clock.advance(by: 119.5)
            #expect(try await ExecutionWorker.runOnce(app: app))
            // Accepted before the end, executed at the end's second: refused.
            #expect(try await client.alert(uuid, Self.alert(secret, "ETHUSDT", "edge-2")).status == .accepted)
            clock.advance(by: 0.5)
            #expect(try await ExecutionWorker.runOnce(app: app))
            let signals = try await Signal.query(on: app.db).filter(\.$user.$id == userID).all()
            let bySymbol = Dictionary(uniqueKeysWithValues: signals.map { ($0.symbol, $0) })
            #expect(bySymbol["BTCUSDT"]?.status == .opened)
            #expect(bySymbol["ETHUSDT"]?.status == .rejected)
            #expect(bySymbol["ETHUSDT"]?.reasonCodes == ["subscription_inactive"])
        }
    }

    /// `POST /positions/open_from_signal` is an open too.
    @Test(arguments: TestDatabase.all)
    func anOpenThroughTheAPIIsGatedToo(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.subscriptionRequired = true }) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("api@trading.co")
            let signal = try await client.createSignal(token)
            let claimed = try await client.claim(token)
            #expect(claimed.count == 1)
            let refused = try await client.open(token, signal: signal, qty: 1)
            #expect(refused.status == .forbidden)
            #expect(refused.body.string.contains("Subscription inactive"))
            #expect(try await client.auditCount("execution.blocked.subscription") == 1)
            #expect(try await Position.query(on: app.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.all)
    func remindersSevenDaysAndOneDayBeforeTheEndOnceEachThenExpiry(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down))
            let clock = MovableClock(start)
            app.wallClock = clock
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("boss@desk.io", role: .admin)
            try await client.register("soon@trading.co")
            let userID = try #require(
                try await User.query(on: app.db).filter(\.$email == "soon@trading.co").first()?.id)
            let end = start.addingTimeInterval(6 * 86_400)
            #expect(
                try await Self.setSubscription(client, admin: admin, "soon@trading.co", status: "active", end: end)
                    .status == .ok)
            let gate = SubscriptionGate(app: app)
            // Two sweeps at once (two instances): one message.
            async let first = gate.sweep(now: clock.now())
            async let second = gate.sweep(now: clock.now())
            let (a, b) = try await (first, second)
            #expect(a.reminded + b.reminded == 1)
            #expect(try await Self.messages(app, userID, containing: "within 7 days") == 1)
            #expect(try await gate.sweep(now: clock.now()).reminded == 0)
            // The next day: the 7-day reminder was sent, the 1-day one is not due.
            clock.advance(by: 86_400)
            #expect(try await gate.sweep(now: clock.now()).reminded == 0)
            // Half a day before the end: the 1-day reminder, once.
            clock.advance(by: 4.5 * 86_400)
            #expect(try await gate.sweep(now: clock.now()).reminded == 1)
            #expect(try await gate.sweep(now: clock.now()).reminded == 0)
            #expect(try await Self.messages(app, userID, containing: "within a day") == 1)
            // At the end: expired, and no more reminders.
            clock.advance(by: 0.5 * 86_400)
            let after = try await gate.sweep(now: clock.now())
            #expect(after == (expired: 1, reminded: 0))
            #expect(try await SubscriptionStore().terms(userID: userID, on: app.db).status == .expired)
            #expect(try await gate.sweep(now: clock.now()).expired == 0)
        }
    }

    @Test(arguments: TestDatabase.all)
    func theRoutesAnswerAsTheContractSays(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("boss@desk.io", role: .admin)
            let (viewer, _) = try await client.signIn("eye@desk.io", role: .viewer)
            let (trader, _) = try await client.signIn("ana@trading.co")

            let none = try await client.send(.GET, "subscription", token: trader)
            #expect(none.status == .ok)
            let noneBody = none.json()
            #expect(Set(noneBody.keys) == ["plan", "status", "current_period_end", "days_left"])
            #expect(noneBody["status"] as? String == "none")
            #expect(["plan", "current_period_end", "days_left"].allSatisfy { noneBody[$0] is NSNull })

            let end = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 10 * 86_400).rounded(.down))
            let set = try await Self.setSubscription(client, admin: admin, "ANA@trading.co", status: "active", end: end)
            #expect(set.status == .ok, "\(set.body.string)")
            let row = set.json()
            #expect(row["email"] as? String == "ana@trading.co")
            #expect(row["status"] as? String == "active")
            #expect(row["plan"] as? String == "pro")
            #expect(row["days_left"] as? Int == 10)
            #expect(row["allows_trading"] as? Bool == true)
            #expect(try await client.auditCount("subscription.update") == 1)

            let mine = try await client.send(.GET, "subscription", token: trader).json()
            #expect(mine["status"] as? String == "active")
            #expect(mine["days_left"] as? Int == 10)
            #expect((mine["current_period_end"] as? String).flatMap { Self.iso.date(from: $0) } == end)

            // Refusals change nothing.
            #expect(
                try await Self.setSubscription(client, admin: admin, "nobody@x.io", status: "active", end: end).status
                    == .notFound)
            for (status, endText) in [("paused", "2027-01-01T00:00:00Z"), ("active", "soon"), ("active", "2027-01-01")]
            {
                let bad = try await client.send(
                    .PUT, "ops/admin/subscriptions/ana@trading.co", token: admin,
                    json: ["plan": "basic", "status": status, "current_period_end": endText])
                #expect(bad.status == .unprocessableEntity, "\(status) \(endText)")
            }
            let missing = try await client.send(
                .PUT, "ops/admin/subscriptions/ana@trading.co", token: admin, json: ["plan": "basic"])
            #expect(missing.status == .unprocessableEntity)
            #expect(
                try await client.send(
                    .PUT, "ops/admin/subscriptions/ana@trading.co", token: viewer, json: ["status": "canceled"]
                ).status == .forbidden)
            #expect(
                try await client.send(
                    .PUT, "ops/admin/subscriptions/ana@trading.co", token: trader, json: ["status": "canceled"]
                ).status == .forbidden)
            #expect(try await client.send(.GET, "subscription", token: trader).json()["plan"] as? String == "pro")
            #expect(try await client.auditCount("subscription.update") == 1)

            // The list: admin and viewer, filtered by status; a trader may not.
            let all = try await client.send(.GET, "ops/admin/subscriptions", token: viewer)
            #expect(all.status == .ok)
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(all.body.string.utf8)) as? [[String: Any]])
            #expect(rows.count == 3)
            let active = try await client.send(.GET, "ops/admin/subscriptions?status=active", token: admin)
            let activeRows = try #require(
                try JSONSerialization.jsonObject(with: Data(active.body.string.utf8)) as? [[String: Any]])
            #expect(activeRows.map { $0["email"] as? String } == ["ana@trading.co"])
            let noneRows = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(
                        try await client.send(.GET, "ops/admin/subscriptions?status=none", token: admin).body.string
                            .utf8))
                    as? [[String: Any]])
            #expect(Set(noneRows.compactMap { $0["email"] as? String }) == ["boss@desk.io", "eye@desk.io"])
            #expect(
                try await client.send(.GET, "ops/admin/subscriptions?status=gold", token: admin).status
                    == .unprocessableEntity)
            #expect(try await client.send(.GET, "ops/admin/subscriptions", token: trader).status == .forbidden)
            #expect(try await client.send(.GET, "subscription").status == .unauthorized)
        }
    }

    @Test(arguments: TestDatabase.all)
    func theDashboardCountsSubscriptionsAndShowsEachUsers(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.subscriptionRequired = true }) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("boss@desk.io", role: .admin)
            let now = Date()
            let plans: [(String, String, Date?)] = [
                ("long@trading.co", "active", now.addingTimeInterval(30 * 86_400)),
                ("soon@trading.co", "trialing", now.addingTimeInterval(3 * 86_400)),
                ("gone@trading.co", "expired", now.addingTimeInterval(-86_400)),
                ("quit@trading.co", "canceled", nil),
            ]
            for (email, status, end) in plans {
                try await client.register(email)
                #expect(
                    try await Self.setSubscription(client, admin: admin, email, status: status, end: end).status == .ok)
            }
            try await client.register("free@trading.co")
            let summary = try await client.send(.GET, "ops/dashboard/summary?real_only=false", token: admin)
            #expect(summary.status == .ok)
            let body = summary.json()
            let counts = try #require(body["subscriptions"] as? [String: Any])
            #expect(counts["required"] as? Bool == true)
            #expect(counts["active"] as? Int == 1)
            #expect(counts["expiring_7d"] as? Int == 1)
            #expect(counts["expired"] as? Int == 1)
            #expect(counts["canceled"] as? Int == 1)
            #expect(counts["none"] as? Int == 2, "free@ and the admin")
            let users = try #require(body["users"] as? [[String: Any]])
            let byEmail = Dictionary(uniqueKeysWithValues: users.map { ($0["email"] as? String ?? "", $0) })
            #expect(byEmail["long@trading.co"]?["subscription"] as? String == "active")
            #expect(byEmail["long@trading.co"]?["subscription_days_left"] as? Int == 30)
            #expect(byEmail["soon@trading.co"]?["subscription"] as? String == "trialing")
            #expect(byEmail["gone@trading.co"]?["subscription"] as? String == "expired")
            #expect(byEmail["free@trading.co"]?["subscription"] as? String == "none")
            #expect(byEmail["free@trading.co"]?["subscription_days_left"] is NSNull)
        }
    }
}
