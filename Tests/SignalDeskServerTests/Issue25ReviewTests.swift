import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// What a black-box review of issue 25's endpoints found (each test fails without its fix).
@Suite struct Issue25ReviewTests {
    /// A capital base so large that the limits derived from it overflow (1e308 × the risk per trade
    /// is infinite) was stored, and every answer carrying `max_risk_amount_usd` then failed with a
    /// 500, the trader's `/positions/risk/today` included. It is refused, by id and by email.
    @Test(arguments: TestDatabase.all)
    func aCapitalBaseBeyondTheCapIsRefusedAndNeverBreaksTheAnswers(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            let traderID = try #require(
                try await User.query(on: app.db).filter(\.$email == "trader@test.com").first()?.id
            ).uuidString
            for capital in [1e308, InputCaps.maxCapitalBaseUSD * 2] {
                let byID = try await client.send(
                    .PUT, "users/\(traderID)/risk-settings", token: admin, json: ["capital_base_usd": capital])
                #expect(byID.status == .unprocessableEntity, "\(byID.body.string)")
                #expect(byID.body.string.contains("capital_base_usd"))
                let byEmail = try await client.send(
                    .PUT, "ops/risk/users/trader@test.com", token: admin, json: ["capital_base_usd": capital])
                #expect(byEmail.status == .unprocessableEntity, "\(byEmail.body.string)")
            }
            #expect(try await client.auditCount("risk.profile.updated") == 0)
            let today = try await client.send(.GET, "positions/risk/today", token: trader)
            #expect(today.status == .ok, "\(today.body.string)")
            let largest = try await client.send(
                .PUT, "users/\(traderID)/risk-settings", token: admin,
                json: ["capital_base_usd": InputCaps.maxCapitalBaseUSD])
            #expect(largest.status == .ok, "\(largest.body.string)")
            #expect(try await client.send(.GET, "positions/risk/today", token: trader).status == .ok)
        }
    }
}
