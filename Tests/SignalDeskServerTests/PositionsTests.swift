import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct PositionsTests {
    @Test(arguments: TestDatabase.all)
    func openChecksRunInTheContractOrder(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let (other, _) = try await client.signIn("bo@trading.co")

            func expectOpen(
                _ signal: String, qty: Double = 1, _ status: HTTPResponseStatus, _ detail: String,
                sourceLocation: SourceLocation = #_sourceLocation
            ) async throws {
                let response = try await client.open(token, signal: signal, qty: qty)
                #expect(response.status == status, sourceLocation: sourceLocation)
                #expect(response.json()["detail"] as? String == detail, sourceLocation: sourceLocation)
            }

            try await expectOpen(UUID().uuidString, .notFound, "Signal not found")
            let theirs = try await client.createSignal(other)
            try await expectOpen(theirs, .forbidden, "Cannot open another user's signal")
            let fresh = try await client.createSignal(token)
            try await expectOpen(fresh, .conflict, "Signal status must be EXECUTING (got CREATED)")
            _ = try await client.claim(token)
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE signals SET entry_price = NULL WHERE id = \(bind: UUID(uuidString: fresh)!)"
            ).run()
            try await expectOpen(fresh, .badRequest, "Signal missing entry_price")
            for bad in ["0", "-1", "nan", "inf", "abc"] {
                let response = try await client.send(
                    .POST, "positions/open_from_signal?signal_id=\(fresh)&qty=\(bad)", token: token)
                #expect(response.status == .unprocessableEntity, "qty=\(bad)")
            }

            // risk per trade: 11 * |100 - 95| = 55 > 50 (0.5% of 10,000).
            let risky = try await client.createSignal(token)
            _ = try await client.claim(token)
            try await expectOpen(risky, qty: 11, .conflict, "Risk block: risk per trade exceeded")
            // cooldown: a position opened just now.
            _ = try await client.openPosition(token)
            let soon = try await client.createSignal(token)
            _ = try await client.claim(token)
            try await expectOpen(soon, .conflict, "Risk block: cooldown active (30.0m)")
            // max open positions: two open, past the cooldown.
            try await client.backdateActivity()
            _ = try await client.openPosition(token)
            try await client.backdateActivity()
            try await expectOpen(soon, .conflict, "Risk block: max open positions reached")

            for action in ["max_open_positions", "cooldown", "risk_per_trade"] {
                #expect(try await client.auditCount("position.open.blocked.\(action)") == 1, "\(action)")
            }
            // A blocked open changes nothing: the signal is still EXECUTING and claimable by nobody else.
            #expect(try await Signal.find(UUID(uuidString: soon), on: app.db)?.status == .executing)
        }
    }

    @Test(arguments: TestDatabase.all)
    func dailyStopIsReachedByALosingCloseAndTradesCountAtClose(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let position = try await client.openPosition(token, qty: 10)
            var risk = try await client.send(.GET, "positions/risk/today", token: token).json()
            #expect(risk["trades_today"] as? Int == 0 && risk["open_positions_now"] as? Int == 1)

            let closed = try await client.close(token, position: position, exit: 84, fees: 0)
            #expect(closed.status == .ok)
            #expect(closed.json()["realized_pnl"] as? Double == -160)
            #expect(closed.json()["status"] as? String == "CLOSED")
            risk = try await client.send(.GET, "positions/risk/today", token: token).json()
            #expect(risk["trades_today"] as? Int == 1)
            #expect(risk["realized_pnl_today"] as? Double == -160)
            #expect(risk["daily_stop"] as? Double == -150)
            #expect(risk["remaining_loss_buffer"] as? Double == 0)
            #expect(risk["remaining_trades"] as? Int == 2)

            try await client.backdateActivity()
            let next = try await client.createSignal(token)
            _ = try await client.claim(token)
            let blocked = try await client.open(token, signal: next, qty: 1)
            #expect(blocked.status == .conflict)
            #expect(blocked.json()["detail"] as? String == "Risk block: daily stop reached")
            #expect(try await client.auditCount("position.open.blocked.daily_stop") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func maxTradesCountsClosesOfTheDay(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            for _ in 0..<3 {
                let position = try await client.openPosition(token)
                #expect(try await client.close(token, position: position, exit: 101).status == .ok)
                try await client.backdateActivity()
            }
            let signal = try await client.createSignal(token)
            _ = try await client.claim(token)
            let blocked = try await client.open(token, signal: signal, qty: 1)
            #expect(blocked.json()["detail"] as? String == "Risk block: max trades reached")
            #expect(try await client.auditCount("position.open.blocked.max_trades") == 1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func closeComputesPnLForBothSidesAndIsIdempotentByKey(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let (other, _) = try await client.signIn("bo@trading.co")
            let short = try await client.openPosition(token, qty: 2, entry: 100, stop: 105, take: 90)
            #expect(
                try await client.close(other, position: short, exit: 90).json()["detail"] as? String
                    == "Cannot close another user's position")
            #expect(
                try await client.close(token, position: UUID().uuidString, exit: 90).json()["detail"] as? String
                    == "Position not found")
            #expect(try await client.close(token, position: short, exit: -1).status == .unprocessableEntity)
            #expect(try await client.close(token, position: short, exit: 90, fees: -1).status == .unprocessableEntity)

            let first = try await client.close(token, position: short, exit: 90, fees: 1.5, key: "close-1")
            #expect(first.status == .ok)
            #expect(first.json()["realized_pnl"] as? Double == 18.5)
            #expect(first.json()["side"] as? String == "SHORT" && first.json()["exit_price"] as? Double == 90)
            let replay = try await client.close(token, position: short, exit: 90, fees: 1.5, key: "close-1")
            #expect(replay.status == .ok)
            #expect(replay.json() as NSDictionary == first.json() as NSDictionary)
            // The key with another payload is refused (issue 25, group 4), not answered.
            let changed = try await client.close(token, position: short, exit: 80, fees: 0, key: "close-1")
            #expect(changed.status == .conflict)
            #expect(changed.json()["detail"] as? String == "Idempotency key already used with different payload")
            // crypto-saas's header name is the same key; both names with different values: 400.
            let prefixed = try await client.send(
                .POST, "positions/close?position_id=\(short)&exit_price=90&fees=1.5", token: token,
                headers: ["X-Idempotency-Key": "close-1"])
            #expect(prefixed.status == .ok && prefixed.json() as NSDictionary == first.json() as NSDictionary)
            let both = try await client.send(
                .POST, "positions/close?position_id=\(short)&exit_price=70", token: token,
                headers: ["X-Idempotency-Key": "close-1", "Idempotency-Key": "close-2"])
            #expect(
                both.status == .badRequest
                    && both.json()["detail"] as? String == "Idempotency-Key and X-Idempotency-Key differ")
            let same = try await client.send(
                .POST, "positions/close?position_id=\(short)&exit_price=90&fees=1.5", token: token,
                headers: ["X-Idempotency-Key": "close-1", "Idempotency-Key": "close-1"])
            #expect(same.status == .ok && same.json() as NSDictionary == first.json() as NSDictionary)
            let again = try await client.close(token, position: short, exit: 90)
            #expect(again.status == .conflict)
            #expect(again.json()["detail"] as? String == "Position status must be OPEN (got CLOSED)")
            #expect(try await client.auditCount("position.close") == 1)

            let signalID = try #require(first.json()["signal_id"] as? String)
            #expect(try await Signal.find(UUID(uuidString: signalID), on: app.db)?.status == .completed)

            try await client.backdateActivity()
            let long = try await client.openPosition(token, qty: 3, entry: 100, stop: 95, take: 110)
            #expect(
                try await client.close(token, position: long, exit: 104, fees: 0.5).json()["realized_pnl"] as? Double
                    == 11.5)
            let risk = try await client.send(.GET, "positions/risk/today", token: token).json()
            #expect(risk["trades_today"] as? Int == 2 && risk["realized_pnl_today"] as? Double == 30)
        }
    }

    @Test(arguments: TestDatabase.all)
    func twoConcurrentClosesLeaveBothTradesInTheDailyRow(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let first = try await client.openPosition(token, qty: 1)
            try await client.backdateActivity()
            let second = try await client.openPosition(token, qty: 2)
            async let a = client.close(token, position: first, exit: 103)
            async let b = client.close(token, position: second, exit: 98)
            let (ra, rb) = try await (a, b)
            #expect(ra.status == .ok && rb.status == .ok)
            let rows = try await DailyRiskState.query(on: app.db).all()
            #expect(rows.count == 1)
            #expect(rows.first?.tradesCount == 2)
            #expect(rows.first?.realizedPnL == -1)
        }
    }

    @Test(arguments: TestDatabase.all)
    func pnlSummaryAndPositionsList(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            // Profile with room for four trades a day.
            let (admin, _) = try await client.signIn("root@trading.co", role: .admin)
            let updated = try await client.send(
                .PUT, "ops/risk/users/ana@trading.co", token: admin,
                json: ["risk_profile": "modelo_suelto_controlado", "capital_base_usd": 20000])
            #expect(
                updated.json() as NSDictionary == [
                    "user_id": updated.json()["user_id"] as Any, "email": "ana@trading.co",
                    "risk_profile": "modelo_suelto_controlado", "capital_base_usd": 20000,
                ])
            for (exit, fees) in [(110.0, 1.0), (97.0, 1.0), (108.0, 2.0)] {
                let position = try await client.openPosition(token, qty: 2)
                _ = try await client.close(token, position: position, exit: exit, fees: fees)
                try await client.backdateActivity()
            }
            _ = try await client.openPosition(token, qty: 1)

            let summary = try await client.send(.GET, "pnl/summary", token: token).json()
            // PnLs: 19, -7, 14.
            #expect(summary["total_realized_pnl"] as? Double == 26)
            #expect(summary["total_fees"] as? Double == 4)
            #expect(summary["win_rate"] as? Double == 2.0 / 3.0)
            #expect(summary["average_win"] as? Double == 16.5)
            #expect(summary["average_loss"] as? Double == -7)
            #expect(summary["profit_factor"] as? Double == 33.0 / 7.0)
            #expect(summary["closed_positions_count"] as? Int == 3 && summary["open_positions_count"] as? Int == 1)
            let days = try #require(summary["by_day"] as? [[String: Any]])
            #expect(
                days.count == 1 && days.first?["trades"] as? Int == 3 && days.first?["realized_pnl"] as? Double == 26)

            let risk = try await client.send(.GET, "positions/risk/today", token: token).json()
            #expect(risk["risk_profile"] as? String == "modelo_suelto_controlado")
            #expect(risk["capital_base_usd"] as? Double == 20000 && risk["daily_stop"] as? Double == -400)
            #expect(risk["max_trades"] as? Int == 4 && risk["remaining_trades"] as? Int == 1)
            #expect(risk["cooldown_between_trades_minutes"] as? Int == 20 && risk["max_open_positions"] as? Int == 2)
            #expect(risk["remaining_loss_buffer"] as? Double == 426)

            let list = try await client.send(.GET, "positions", token: token)
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]])
            #expect(rows.count == 4 && rows.first?["status"] as? String == "OPEN")
            #expect(rows.first?["closed_at"] is NSNull && rows.first?["exit_price"] is NSNull)
            let open = try await client.send(.GET, "positions?status=open", token: token)
            #expect((try JSONSerialization.jsonObject(with: Data(open.body.readableBytesView)) as? [Any])?.count == 1)

            #expect(
                try await client.send(
                    .PUT, "ops/risk/users/ghost@trading.co", token: admin, json: ["capital_base_usd": 1]
                ).status == .notFound)
            #expect(
                try await client.send(
                    .PUT, "ops/risk/users/ana@trading.co", token: admin, json: ["risk_profile": "yolo"]
                ).status == .unprocessableEntity)
            #expect(
                try await client.send(
                    .PUT, "ops/risk/users/ana@trading.co", token: admin, json: ["capital_base_usd": -5]
                ).status == .unprocessableEntity)
            #expect(
                try await client.send(
                    .PUT, "ops/risk/users/ana@trading.co", token: token, json: ["capital_base_usd": 5]
                ).status == .forbidden)
            #expect(try await client.auditCount("risk.profile.updated") == 1)
        }
    }
}
