import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Services take the time from the application's clock: a test moves it instead of sleeping or
/// rewriting rows (issue 20).
@Suite struct WallClockTests {
    @Test(arguments: TestDatabase.all)
    func theCooldownEndsWhenTheClockMovesPastIt(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            // From the present (access tokens are checked against the system's time), whole seconds.
            let clock = MovableClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            app.wallClock = clock
            let client = Client(app: app)
            let (token, _) = try await client.signIn("clock@trading.co")
            _ = try await client.openPosition(token, qty: 1)
            let opened = try #require(try await Position.query(on: app.db).first())
            #expect(opened.openedAt == clock.now(), "the open is stamped with the application's clock")

            let second = try await client.createSignal(token, symbol: "ETHUSDT")
            _ = try await client.claim(token)
            clock.advance(by: 29 * 60)
            let early = try await client.open(token, signal: second, qty: 1)
            #expect(
                early.status == .conflict && early.json()["detail"] as? String == "Risk block: cooldown active (30.0m)")
            clock.advance(by: 60)
            let late = try await client.open(token, signal: second, qty: 1)
            #expect(late.status == .ok, "\(late.status) \(late.body.string)")
        }
    }
}
