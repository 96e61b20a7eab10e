import Crypto
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

/// The back office (group 6) and the signed audit export (group 7).
@Suite struct BackofficeAndExportTests {
    static func array(_ response: TestingHTTPResponse) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.string.utf8)) as? [[String: Any]])
    }

    /// test_backoffice_rbac_viewer_readonly.
    @Test(arguments: TestDatabase.all)
    func theBackOfficeIsReadOnlyForViewersAndAdmins(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (viewer, _) = try await client.signIn("viewer@test.com", role: .viewer)
            let (trader, _) = try await client.signIn("trader@test.com")
            #expect(
                try await client.send(
                    .POST, "users/exchange-secrets", token: trader,
                    json: ["exchange": "BINANCE", "api_key": "k1k1k1k1", "api_secret": "s1s1s1s1"]
                ).status == .created)

            let summary = try await client.send(.GET, "ops/backoffice/summary", token: viewer)
            #expect(summary.status == .ok)
            let body = summary.json()
            #expect(body["tenant_id"] as? String == "default")
            #expect(body["viewers"] as? Int == 1)
            #expect(body["admins"] as? Int == 1)
            #expect(body["traders"] as? Int == 1)
            #expect(body["users_total"] as? Int == 3)
            #expect(body["users_missing_2fa"] as? Int == 2)
            #expect(body["users_with_exchange_secrets"] as? Int == 1)
            #expect(body["trading_enabled"] as? Bool == true)

            let users = try Self.array(try await client.send(.GET, "ops/backoffice/users", token: viewer))
            #expect(
                Set(users.compactMap { $0["email"] as? String }) == [
                    "admin@test.com", "viewer@test.com", "trader@test.com",
                ])
            let row = try #require(users.first { $0["email"] as? String == "trader@test.com" })
            #expect(row["exchanges_configured"] as? [String] == ["BINANCE"])
            #expect(row["role"] as? String == "trader")
            #expect(row["api_key"] == nil && row["api_secret"] == nil)
            #expect(
                !(try await client.send(.GET, "ops/backoffice/users", token: admin).body.string.contains("k1k1k1k1")))

            #expect(try await client.send(.GET, "ops/backoffice/summary", token: trader).status == .forbidden)
            #expect(try await client.send(.GET, "ops/backoffice/users", token: trader).status == .forbidden)
            #expect(try await client.send(.GET, "ops/backoffice/users").status == .unauthorized)
        }
    }

    /// test_audit_export_hash_and_signature_admin_only.
    @Test(arguments: TestDatabase.all)
    func theAuditExportIsHashedAndSignedOverItsCanonicalJSON(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@tëst.com")
            // Activity with numbers of both kinds and non-ASCII text in the details.
            _ = try await client.send(.GET, "ops/audit/me?limit=5", token: trader)
            _ = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: trader, json: CryptoSaasLaterTests.pretrade)
            while try await AuditChainSealing(app: app, db: app.db).sealPending() > 0 {}

            #expect(try await client.send(.GET, "ops/admin/audit/export", token: trader).status == .forbidden)
            #expect(
                try await client.send(.GET, "ops/admin/audit/export?limit=0", token: admin).status
                    == .unprocessableEntity)
            #expect(
                try await client.send(.GET, "ops/admin/audit/export?limit=5001", token: admin).status
                    == .unprocessableEntity)

            let exported = try await client.send(.GET, "ops/admin/audit/export?limit=50", token: admin)
            #expect(exported.status == .ok)
            guard case .object(let whole) = try CanonicalJSON.parse(exported.body.string),
                case .object(let meta)? = whole["meta"], case .array(let records)? = whole["records"],
                case .string(let sha)? = whole["payload_sha256"],
                case .string(let signature)? = whole["signature_hmac_sha256"]
            else {
                Issue.record("unexpected export: \(exported.body.string)")
                return
            }
            #expect(meta["tenant_id"] == .string("default"))
            #expect(meta["records_count"] == .int(records.count))
            #expect(records.count >= 4)
            #expect(sha.count == 64 && signature.count == 64)
            // The digest of the canonical {"meta","records"}, recomputed from what was received.
            let canonical = CanonicalJSON.object(["meta": .object(meta), "records": .array(records)]).text
            let digest = SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(digest == sha)
            let (keyID, key) = app.appConfig.keyRing.derivedKey(purpose: AuditExport.signingPurpose)
            #expect(meta["signing_key_id"] == .string(keyID))
            let mac = Data(HMAC<SHA256>.authenticationCode(for: Data(canonical.utf8), using: key)).map {
                String(format: "%02x", $0)
            }.joined()
            #expect(mac == signature)
            // The answer's meta and records are the canonical bytes themselves.
            #expect(exported.body.string.hasPrefix("{" + canonical.dropFirst().dropLast() + ","))
            // Records carry their place in the hash chain; the export itself is audited afterwards.
            let chained = records.filter { if case .object(let r) = $0 { r["chain_seq"] != .null } else { false } }
            #expect(!chained.isEmpty)
            #expect(meta["chain_sealed_through"] != .null)
            #expect(try await client.auditCount("ops.audit.export") == 1)
        }
    }
}

/// Readiness, the daily gate and the daily snapshot (group 10).
@Suite struct ReadinessTests {
    /// test_admin_readiness_report_admin_only, test_admin_daily_gate_admin_only,
    /// test_admin_daily_snapshot_admin_only.
    @Test(arguments: TestDatabase.all)
    func readinessGateAndSnapshotAreAdminOnlyAndSayWhatIsMissing(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            _ = try await client.signIn("viewer@test.com", role: .viewer)
            for path in [
                "users/readiness/report", "ops/admin/readiness/daily-gate", "ops/admin/snapshot/daily",
            ] {
                #expect(try await client.send(.GET, path, token: trader).status == .forbidden, "\(path)")
            }
            let query = "real_only=false&include_service_users=false&max_secret_age_days=30"
            let report = try await client.send(.GET, "users/readiness/report?\(query)", token: admin)
            #expect(report.status == .ok)
            let summary = try #require(report.json()["summary"] as? [String: Any])
            #expect(summary["total_users"] as? Int == 2, "the admin and the trader; viewers do not trade")
            #expect(summary["ready_users"] as? Int == 0)
            #expect(summary["missing_users"] as? Int == 2)
            let users = try #require(report.json()["users"] as? [[String: Any]])
            let traderRow = try #require(users.first { $0["email"] as? String == "trader@test.com" })
            #expect(traderRow["missing"] as? [String] == ["2fa", "exchange_secret"])
            #expect(
                try await client.send(.GET, "users/readiness/report?max_secret_age_days=0", token: admin).status
                    == .unprocessableEntity)

            let gate = try await client.send(.GET, "ops/admin/readiness/daily-gate?\(query)", token: admin)
            #expect(gate.status == .ok)
            let gateBody = gate.json()
            #expect(gateBody["passed"] as? Bool == false)
            let checks = try #require(gateBody["checks"] as? [[String: Any]])
            let failed = Set(checks.filter { $0["passed"] as? Bool == false }.compactMap { $0["name"] as? String })
            #expect(failed == ["no_users_missing_2fa", "all_users_ready"])
            #expect(gateBody["security_summary"] is [String: Any])
            #expect((gateBody["readiness_summary"] as? [String: Any])?["missing_users"] as? Int == 2)
            // The kill switch turns its check red.
            #expect(
                try await client.send(
                    .POST, "ops/admin/kill-switch", token: admin, json: ["enabled": true, "reason": "gate test"]
                ).status == .ok)
            let halted = try await client.send(.GET, "ops/admin/readiness/daily-gate?\(query)", token: admin).json()
            let haltedChecks = try #require(halted["checks"] as? [[String: Any]])
            #expect(haltedChecks.first { $0["name"] as? String == "kill_switch_released" }?["passed"] as? Bool == false)

            let snapshot = try await client.send(
                .GET, "ops/admin/snapshot/daily?real_only=true&max_secret_age_days=30&recent_hours=24", token: admin)
            #expect(snapshot.status == .ok)
            let parts = snapshot.json()
            for key in [
                "dashboard", "backoffice_summary", "backoffice_users", "security_posture", "risk_daily_compare",
                "daily_gate",
            ] {
                #expect(parts[key] != nil, "\(key)")
            }
            #expect((parts["backoffice_summary"] as? [String: Any])?["tenant_id"] as? String == "default")
        }
    }
}

/// Password maximum age and superusers (group 14).
@Suite struct AccountSettingsTests {
    /// test_password_max_age_enforcement, and the way out of an expired password.
    @Test(arguments: TestDatabase.all)
    func anExpiredPasswordIsRefusedAndCanBeReplaced(_ database: TestDatabase) async throws {
        try await withTestApp(
            database,
            adjust: {
                $0.enforcePasswordMaxAge = true
                $0.passwordMaxAgeDays = 30
            }
        ) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("trader@test.com")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "trader@test.com").first())
            user.passwordChangedAt = Date().addingTimeInterval(-45 * 86_400)
            try await user.save(on: app.db)

            let expired = try await client.login("trader@test.com")
            #expect(expired.status == .unauthorized)
            #expect(CryptoSaasLaterTests.detail(expired).contains("Password expired"))
            // A wrong password never learns that the password expired.
            let wrong = try await client.login("trader@test.com", password: "not-the-password")
            #expect(CryptoSaasLaterTests.detail(wrong) == "Incorrect email or password")

            // Refusals: wrong current password, too short, the same again.
            func change(_ current: String, _ new: String) async throws -> TestingHTTPResponse {
                try await client.send(
                    .POST, "auth/change-password",
                    json: ["email": "trader@test.com", "current_password": current, "new_password": new])
            }
            #expect(try await change("not-the-password", "brand-new-pass-1").status == .unauthorized)
            #expect(try await change("password-123", "short").status == .unprocessableEntity)
            #expect(try await change("password-123", "password-123").status == .unprocessableEntity)
            #expect(try await client.login("trader@test.com").status == .unauthorized)

            let changed = try await change("password-123", "brand-new-pass-1")
            #expect(changed.status == .ok, "\(changed.body.string)")
            #expect(try await client.auditCount("auth.password.changed") == 1)
            // Old sessions are gone; the new password logs in, the old one does not.
            #expect(try await client.send(.GET, "users/me", token: token).status == .unauthorized)
            #expect(try await client.login("trader@test.com", password: "brand-new-pass-1").status == .ok)
            #expect(try await client.login("trader@test.com").status == .unauthorized)
        }
    }

    @Test(arguments: TestDatabase.all)
    func withoutEnforcementAnOldPasswordStillWorks(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.passwordMaxAgeDays = 1 }) { app in
            let client = Client(app: app)
            _ = try await client.signIn("trader@test.com")
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "trader@test.com").first())
            user.passwordChangedAt = Date().addingTimeInterval(-45 * 86_400)
            try await user.save(on: app.db)
            #expect(try await client.login("trader@test.com").status == .ok)
        }
    }

    /// test_superuser_email_bypasses_admin_role_checks.
    @Test(arguments: TestDatabase.all)
    func aSuperuserEmailPassesAdminChecks(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.superuserEmails = ["trader@test.com"] }) { app in
            let client = Client(app: app)
            let (superuser, _) = try await client.signIn("trader@test.com")
            let (other, _) = try await client.signIn("other@test.com")
            #expect(try await client.send(.GET, "ops/admin/trading-control", token: superuser).status == .ok)
            #expect(try await client.send(.GET, "users", token: superuser).status == .ok)
            #expect(try await client.send(.GET, "ops/admin/trading-control", token: other).status == .forbidden)
            #expect(try await client.send(.GET, "users", token: other).status == .forbidden)
            // A disabled superuser is still disabled.
            let user = try #require(try await User.query(on: app.db).filter(\.$email == "trader@test.com").first())
            user.role = .disabled
            try await user.save(on: app.db)
            #expect(try await client.send(.GET, "users", token: superuser).status == .unauthorized)
        }
    }
}

/// The ops console page (group 8).
@Suite struct OpsConsoleTests {
    /// test_ops_console_page_served, test_ops_console_login_fields_disable_autofill.
    @Test func theConsoleShellIsServedWithAutofillOff() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let page = try await app.testing().sendRequest(.GET, "ops/console")
            #expect(page.status == .ok)
            #expect(page.headers.contentType?.description.hasPrefix("text/html") == true)
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers.first(name: "Cache-Control") == "no-store")
            let text = page.body.string
            for needle in [
                "Ops Console v1", #"id="loginScreen""#, #"id="menuScreen""#, #"id="moduleScreen""#, "Volver al menu",
                "Salir", "sessionStorage", #"id="loginEmail""#, #"autocomplete="off""#, #"name="ops_email""#,
            ] {
                #expect(text.contains(needle), "\(needle)")
            }
            // The token never goes to localStorage or a cookie; module output is text, never HTML.
            #expect(!text.contains("localStorage"))
            #expect(!text.contains("document.cookie"))
            #expect(!text.contains("innerHTML"))
            // /ops/dashboard stays API.md's dashboard page.
            let dashboard = try await app.testing().sendRequest(.GET, "ops/dashboard")
            #expect(dashboard.status == .ok)
            #expect(!dashboard.body.string.contains("Ops Console v1"))
        }
    }
}

/// Per-user risk settings and the largest risk per trade (part of group 11).
@Suite struct RiskSettingsTests {
    /// test_user_risk_settings_admin_only, test_open_position_blocks_when_risk_per_trade_exceeded.
    @Test(arguments: TestDatabase.all)
    func riskSettingsByIDAndTheLargestRiskPerTrade(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (trader, _) = try await client.signIn("trader@test.com")
            let traderID = try #require(
                try await User.query(on: app.db).filter(\.$email == "trader@test.com").first()?.id
            ).uuidString
            let path = "users/\(traderID)/risk-settings"
            #expect(
                try await client.send(.PUT, path, token: trader, json: ["capital_base_usd": 2500.0]).status
                    == .forbidden)
            #expect(try await client.send(.GET, path, token: trader).status == .forbidden)
            #expect(
                try await client.send(.PUT, path, token: admin, json: ["capital_base_usd": -1.0]).status
                    == .unprocessableEntity)
            #expect(try await client.send(.PUT, path, token: admin, json: [:]).status == .unprocessableEntity)
            #expect(
                try await client.send(.GET, "users/not-a-uuid/risk-settings", token: admin).status
                    == .unprocessableEntity)
            #expect(
                try await client.send(.GET, "users/\(UUID().uuidString)/risk-settings", token: admin).status
                    == .notFound)
            #expect(try await client.auditCount("risk.profile.updated") == 0)

            let updated = try await client.send(.PUT, path, token: admin, json: ["capital_base_usd": 1000.0])
            #expect(updated.status == .ok)
            #expect(updated.json()["capital_base_usd"] as? Double == 1000)
            let fetched = try await client.send(.GET, path, token: admin).json()
            #expect(fetched["capital_base_usd"] as? Double == 1000)
            let maxRisk = try #require(fetched["max_risk_amount_usd"] as? Double)
            #expect(maxRisk > 0)
            #expect(try await client.auditCount("risk.profile.updated") == 1)

            // The trader sees the same number, and an open that risks more is refused.
            let today = try await client.send(.GET, "positions/risk/today", token: trader).json()
            #expect(today["max_risk_amount_usd"] as? Double == maxRisk)
            let signal = try await client.createSignal(trader)  // entry 100, stop 95: 5 per unit
            #expect(try await client.claim(trader).count == 1)
            let blocked = try await client.open(trader, signal: signal, qty: maxRisk / 5 + 1)
            #expect(blocked.status == .conflict)
            #expect(CryptoSaasLaterTests.detail(blocked).contains("risk per trade exceeded"))
            let allowed = try await client.open(trader, signal: signal, qty: max(maxRisk / 5 * 0.8, 0.01))
            #expect(allowed.status == .ok, "\(allowed.body.string)")
        }
    }
}

@Suite struct PostureExchangesTests {
    /// A dYdX mnemonic is a configured exchange for the dashboard, the back office and readiness
    /// alike (they once each read the flags themselves, and two left DYDX out).
    @Test func aMnemonicCountsAsAConfiguredExchange() {
        let row = SecurityPosture.UserRow(
            userId: UUID(), email: "0xab@wallet.invalid", role: .trader, twoFactorEnabled: true,
            binanceSecretConfigured: false, ibkrSecretConfigured: false, bybitSecretConfigured: false,
            dydxSecretConfigured: true, oldestSecretAgeDays: nil, staleSecret: false)
        #expect(row.exchangesConfigured == [.dydx])
        #expect(
            TradingReadiness.missing(
                twoFactorMissing: SecurityPosture.missesTwoFactor(row),
                exchangesConfigured: row.exchangesConfigured.count,
                staleSecret: false
            ).isEmpty)
    }

    /// Readiness asks 2FA of the same people the posture does: a wallet trader without it is
    /// not missing it (their sign-in has no OTP step, docs/wallets.md), a password trader is.
    @Test(arguments: TestDatabase.all)
    func readinessAndPostureAgreeOnWhoNeeds2FA(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            _ = try await client.signIn("ana@trading.co")
            let wallet = "0x\(String(repeating: "ab", count: 20))@wallet.invalid"
            try await User(email: wallet, passwordHash: "!wallet", role: .trader).create(on: app.db)
            let report = try await client.send(.GET, "users/readiness/report?real_only=false", token: admin).json()
            let users = try #require(report["users"] as? [[String: Any]])
            func missing(_ email: String) -> [String]? {
                users.first { $0["email"] as? String == email }?["missing"] as? [String]
            }
            #expect(missing(wallet) == ["exchange_secret"])
            #expect(missing("ana@trading.co") == ["2fa", "exchange_secret"])
            let posture = try await client.send(.GET, "ops/security/posture?real_only=false", token: admin).json()
            let summary = try #require(posture["summary"] as? [String: Any])
            // The admin and ana: the same two the readiness report counts.
            #expect(summary["users_missing_2fa"] as? Int == 2)
            #expect((report["summary"] as? [String: Any])?["missing_2fa"] as? Int == 2)
        }
    }
}
