import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// What crypto-saas grew later (issue 25): trading control (group 5), the admin's 2FA reset by
/// user id (group 9) and the input caps (group 15), as its integration tests pin them.
@Suite struct CryptoSaasLaterTests {
    static var pretrade: [String: Any] {
        [
            "symbol": "BTCUSDT", "side": "BUY", "qty": 0.01, "rr_estimate": 1.6, "trend_tf": "4H", "signal_tf": "1H",
            "timing_tf": "15M", "spread_bps": 7, "slippage_bps": 10, "volume_24h_usdt": 90_000_000,
        ]
    }

    static func detail(_ response: TestingHTTPResponse) -> String {
        (response.json()["detail"] as? String) ?? response.body.string
    }

    /// test_admin_kill_switch_blocks_trading_paths, test_admin_kill_switch_requires_reason_when_disabling,
    /// test_backoffice_rbac_viewer_readonly (the trading-control part).
    @Test(arguments: TestDatabase.all)
    func tradingControlIsTheKillSwitchSeenTheOtherWayRound(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (viewer, _) = try await client.signIn("viewer@test.com", role: .viewer)
            let (trader, _) = try await client.signIn("trader@test.com")

            let initial = try await client.send(.GET, "ops/admin/trading-control", token: admin)
            #expect(initial.status == .ok)
            #expect(initial.json()["trading_enabled"] as? Bool == true)
            #expect(initial.json()["updated_by"] is NSNull)
            #expect(try await client.send(.GET, "ops/admin/trading-control", token: viewer).status == .forbidden)
            #expect(try await client.send(.GET, "ops/admin/trading-control", token: trader).status == .forbidden)
            #expect(
                try await client.send(
                    .POST, "ops/admin/trading-control", token: viewer,
                    json: ["trading_enabled": false, "reason": "maintenance"]
                ).status == .forbidden)

            // No reason, or a short one: 400, and nothing changes.
            for reason in ["", "short", "   short   "] {
                let refused = try await client.send(
                    .POST, "ops/admin/trading-control", token: admin,
                    json: ["trading_enabled": false, "reason": reason])
                #expect(refused.status == .badRequest, "\(reason)")
                #expect(Self.detail(refused).contains("reason is required"))
            }
            let missing = try await client.send(
                .POST, "ops/admin/trading-control", token: admin, json: ["trading_enabled": false])
            #expect(missing.status == .badRequest)
            #expect(try await app.killSwitch.state(on: app.db).enabled == false)

            let disable = try await client.send(
                .POST, "ops/admin/trading-control", token: admin,
                json: ["trading_enabled": false, "reason": "maintenance"])
            #expect(disable.status == .ok)
            #expect(disable.json()["trading_enabled"] as? Bool == false)
            #expect(disable.json()["reason"] as? String == "maintenance")
            #expect(disable.json()["updated_by"] as? String == "admin@test.com")
            // One state: the kill switch is engaged with the reason.
            let killSwitch = try await client.send(.GET, "ops/admin/kill-switch", token: admin).json()
            #expect(killSwitch["enabled"] as? Bool == true)
            #expect(killSwitch["reason"] as? String == "maintenance")
            #expect(try await client.auditCount("ops.kill_switch.on") == 1)

            // Pretrade: 409, audited.
            let blocked = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: Self.pretrade)
            #expect(blocked.status == .conflict)
            #expect(Self.detail(blocked).contains("globally disabled"))
            #expect(try await client.auditCount("execution.blocked.kill_switch") == 1)
            #expect(
                try await client.auditCount("pretrade.check.passed") + client.auditCount("pretrade.check.blocked") == 0)

            // Released through the kill switch: trading-control says enabled again.
            #expect(
                try await client.send(.POST, "ops/admin/kill-switch", token: admin, json: ["enabled": false]).status
                    == .ok)
            #expect(
                try await client.send(.GET, "ops/admin/trading-control", token: admin).json()["trading_enabled"]
                    as? Bool == true)
            let reenable = try await client.send(
                .POST, "ops/admin/trading-control", token: admin, json: ["trading_enabled": true, "reason": "resume"])
            #expect(reenable.status == .ok)
            #expect(reenable.json()["trading_enabled"] as? Bool == true)
            #expect(reenable.json()["reason"] is NSNull)
            let passed = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: Self.pretrade)
            #expect(passed.status == .ok)
        }
    }

    /// test_admin_can_reset_user_2fa.
    @Test(arguments: TestDatabase.all)
    func anAdminReprovisionsAUsers2FAByID(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            let users = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try await client.send(.GET, "users", token: admin).body.string.utf8)) as? [[String: Any]]
            )
            let traderID = try #require(users.first { $0["email"] as? String == "trader@test.com" }?["id"] as? String)

            // Refusals: not an admin, no reason, a bad or unknown id.
            #expect(
                try await client.send(.POST, "users/\(traderID)/2fa/reset?reason=mine", token: trader).status
                    == .forbidden)
            #expect(
                try await client.send(.POST, "users/\(traderID)/2fa/reset", token: admin).status == .unprocessableEntity
            )
            #expect(
                try await client.send(.POST, "users/\(traderID)/2fa/reset?reason=%20", token: admin).status
                    == .unprocessableEntity)
            #expect(
                try await client.send(.POST, "users/not-a-uuid/2fa/reset?reason=x", token: admin).status
                    == .unprocessableEntity)
            #expect(
                try await client.send(.POST, "users/\(UUID().uuidString)/2fa/reset?reason=x", token: admin).status
                    == .notFound)
            #expect(try await client.auditCount("auth.2fa.reset") == 0)

            let reset = try await client.send(
                .POST, "users/\(traderID)/2fa/reset?reason=admin%20recovery%20flow", token: admin)
            #expect(reset.status == .ok, "\(reset.body.string)")
            let payload = reset.json()
            #expect(payload["enabled"] as? Bool == true)
            #expect(payload["email"] as? String == "trader@test.com")
            let secret = try #require(payload["secret"] as? String)
            #expect((payload["otpauth_uri"] as? String)?.hasPrefix("otpauth://") == true)
            #expect(payload["sessions_revoked"] as? Int == 1)
            // The trader's session is gone; the reason is audited, the secret is not.
            #expect(try await client.send(.GET, "users/me", token: trader).status == .unauthorized)
            let audit = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "auth.2fa.reset").first())
            #expect(audit.details?.contains("admin recovery flow") == true)
            #expect(audit.details?.contains(secret) == false)

            let noOTP = try await client.login("trader@test.com")
            #expect(noOTP.status == .unauthorized)
            #expect(Self.detail(noOTP) == "OTP required")
            let withOTP = try await client.login("trader@test.com", otp: totp(secret))
            #expect(withOTP.status == .ok, "\(withOTP.body.string)")
        }
    }

    /// test_pretrade_rejects_non_numeric_and_overflow_like_qty, test_exit_check_rejects_opened_minutes_over_limit.
    @Test(arguments: TestDatabase.all)
    func inputsBeyondTheCapsAre422AndChangeNothing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (trader, _) = try await client.signIn("trader@test.com")
            func pretrade(_ qty: Any) async throws -> TestingHTTPResponse {
                var body = Self.pretrade
                body["qty"] = qty
                return try await client.send(.POST, "ops/execution/pretrade/binance/check", token: trader, json: body)
            }
            #expect(try await pretrade("abc").status == .unprocessableEntity)
            #expect(try await pretrade(1_000_001).status == .unprocessableEntity)
            #expect(try await pretrade(1_000_000.5).status == .unprocessableEntity)
            #expect(
                try await client.auditCount("pretrade.check.passed") + client.auditCount("pretrade.check.blocked") == 0)
            #expect(try await pretrade(1_000_000).status == .ok)

            func exit(_ minutes: Double) async throws -> TestingHTTPResponse {
                try await client.send(
                    .POST, "ops/execution/exit/binance/check", token: trader,
                    json: [
                        "symbol": "BTCUSDT", "side": "BUY", "entry_price": 50_000, "current_price": 50_500,
                        "stop_loss": 49_000, "take_profit": 52_000, "opened_minutes": minutes, "trend_break": false,
                        "signal_reverse": false, "macro_event_block": false, "earnings_within_24h": false,
                    ])
            }
            let over = try await exit(10_081)
            #expect(over.status == .unprocessableEntity)
            #expect(over.body.string.contains("opened_minutes"))
            #expect(try await client.auditCount("exit.check.hold") + client.auditCount("exit.check.triggered") == 0)
            #expect(try await exit(10_080).status == .ok)
        }
    }
}
