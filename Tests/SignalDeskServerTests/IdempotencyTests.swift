import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// Idempotency keys on the pretrade check, the scan and close, and their admin endpoints
/// (issue 25, group 4), as crypto-saas's test_idempotency_* and test_*_idempotency_* pin them.
@Suite struct IdempotencyTests {
    static var pretrade: [String: Any] {
        [
            "symbol": "BTCUSDT", "side": "BUY", "qty": 0.01, "rr_estimate": 1.6, "trend_tf": "4H", "signal_tf": "1H",
            "timing_tf": "15M", "spread_bps": 7, "slippage_bps": 10, "volume_24h_usdt": 90_000_000,
        ]
    }

    static func key(_ value: String, plain: Bool = false) -> HTTPHeaders {
        [plain ? "Idempotency-Key" : "X-Idempotency-Key": value]
    }

    /// test_idempotency_replay_and_payload_conflict.
    @Test(arguments: TestDatabase.all)
    func aPretradeCheckKeyReplaysItsAnswerAndRefusesAnotherPayload(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            let path = "ops/execution/pretrade/binance/check"
            let first = try await client.send(.POST, path, token: token, json: Self.pretrade, headers: Self.key("k-1"))
            let second = try await client.send(.POST, path, token: token, json: Self.pretrade, headers: Self.key("k-1"))
            #expect(first.status == .ok)
            #expect(first.json()["passed"] as? Bool == true)
            #expect(second.status == .ok)
            #expect(second.body.string == first.body.string)
            #expect(try await client.auditCount("pretrade.check.passed") == 1)

            var other = Self.pretrade
            other["qty"] = 0.02
            let conflict = try await client.send(.POST, path, token: token, json: other, headers: Self.key("k-1"))
            #expect(conflict.status == .conflict)
            #expect(conflict.json()["detail"] as? String == "Idempotency key already used with different payload")
            // The same payload written differently (side in lower case, defaults spelled out) is the same request.
            var spelled = Self.pretrade
            spelled["side"] = "buy"
            spelled["in_rth"] = true
            let same = try await client.send(.POST, path, token: token, json: spelled, headers: Self.key("k-1"))
            #expect(same.body.string == first.body.string)
            // Another exchange, or another user: another key.
            let ibkr = try await client.send(
                .POST, "ops/execution/pretrade/ibkr/check", token: token, json: Self.pretrade, headers: Self.key("k-1"))
            #expect(ibkr.status == .ok)
            let (ana, _) = try await client.signIn("ana@test.com")
            let anas = try await client.send(.POST, path, token: ana, json: other, headers: Self.key("k-1"))
            #expect(anas.status == .ok)
            #expect(try await client.auditCount("pretrade.check.blocked") == 2)
            // Without a key nothing is remembered.
            _ = try await client.send(.POST, path, token: token, json: Self.pretrade)
            #expect(try await client.auditCount("pretrade.check.passed") == 2)
        }
    }

    /// test_pretrade_scan_idempotency_replay_and_payload_conflict.
    @Test(arguments: TestDatabase.all)
    func aScanKeyReplaysItsAnswerAndRefusesAnotherPayload(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            let path = "ops/execution/pretrade/binance/scan"
            let body: [String: Any] = [
                "top_n": 3, "include_blocked": true, "candidates": [PretradeScanTests.candidate("BTCUSDT")],
            ]
            let first = try await client.send(.POST, path, token: token, json: body, headers: Self.key("scan-idem-1"))
            let second = try await client.send(.POST, path, token: token, json: body, headers: Self.key("scan-idem-1"))
            #expect(first.status == .ok)
            #expect(second.status == .ok)
            // Durations included: the second answer is the first.
            #expect(second.body.string == first.body.string)
            #expect(try await client.auditCount("pretrade.scan.completed") == 1)
            var other = body
            other["top_n"] = 2
            let conflict = try await client.send(
                .POST, path, token: token, json: other, headers: Self.key("scan-idem-1"))
            #expect(conflict.status == .conflict)
            #expect((conflict.json()["detail"] as? String)?.contains("different payload") == true)
        }
    }

    /// test_close_position_idempotency_and_non_finite_guard (the key part; a non-finite
    /// exit_price is the contract's 422, docs/api.md).
    @Test(arguments: TestDatabase.all)
    func aCloseKeyReplaysItsAnswerAndRefusesAnotherPayload(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("trader@test.com")
            let position = try await client.openPosition(token, qty: 0.01, entry: 100, stop: 90, take: 120)
            let nan = try await client.send(
                .POST, "positions/close?position_id=\(position)&exit_price=nan&fees=0", token: token)
            #expect(nan.status == .unprocessableEntity)
            let first = try await client.send(
                .POST, "positions/close?position_id=\(position)&exit_price=101.0&fees=0.1", token: token,
                headers: Self.key("close-position-key-1"))
            let second = try await client.send(
                .POST, "positions/close?position_id=\(position)&exit_price=101.0&fees=0.1", token: token,
                headers: Self.key("close-position-key-1"))
            #expect(first.status == .ok)
            #expect(second.status == .ok)
            #expect(second.body.string == first.body.string)
            let other = try await client.send(
                .POST, "positions/close?position_id=\(position)&exit_price=102.0&fees=0.1", token: token,
                headers: Self.key("close-position-key-1", plain: true))
            #expect(other.status == .conflict)
            #expect(other.json()["detail"] as? String == "Idempotency key already used with different payload")
            #expect(try await client.auditCount("position.close") == 1)
        }
    }

    /// test_idempotency_admin_stats_and_cleanup_admin_only.
    @Test(arguments: TestDatabase.all)
    func adminsReadTheKeysAndRemoveOldOnes(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (token, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            for key in ["stats-key-1", "stats-key-2"] {
                let checked = try await client.send(
                    .POST, "ops/execution/pretrade/binance/check", token: token, json: Self.pretrade,
                    headers: Self.key(key))
                #expect(checked.status == .ok)
            }
            #expect(try await client.send(.GET, "ops/admin/idempotency/stats", token: token).status == .forbidden)
            let stats = try await client.send(.GET, "ops/admin/idempotency/stats", token: admin)
            #expect(stats.status == .ok)
            #expect(stats.json()["records_total"] as? Int == 2)
            #expect(stats.json()["max_age_days"] as? Int == 30)
            #expect(stats.json()["oldest_record_at"] is String)
            #expect(stats.json()["newest_record_at"] is String)

            // One key is 40 days old: the cleanup removes it only.
            let old = try #require(
                try await IdempotencyRecord.query(on: app.db).filter(\.$key == "stats-key-1").first())
            old.createdAt = Date().addingTimeInterval(-40 * 86_400)
            try await old.save(on: app.db)
            #expect(try await client.send(.POST, "ops/admin/idempotency/cleanup", token: token).status == .forbidden)
            let cleaned = try await client.send(.POST, "ops/admin/idempotency/cleanup", token: admin)
            #expect(cleaned.status == .ok)
            #expect(cleaned.json()["deleted"] as? Int == 1)
            #expect(cleaned.json()["max_age_days"] as? Int == 30)
            let again = try await client.send(.POST, "ops/admin/idempotency/cleanup", token: admin)
            #expect(again.json()["deleted"] as? Int == 0)
            let after = try await client.send(.GET, "ops/admin/idempotency/stats", token: admin)
            #expect(after.json()["records_total"] as? Int == 1)
            #expect(try await client.auditCount("security.idempotency.stats.read") == 2)
            #expect(try await client.auditCount("security.idempotency.cleanup") == 2)
            // A removed key is free again.
            let reused = try await client.send(
                .POST, "ops/execution/pretrade/binance/check", token: token,
                json: ["symbol": "ETHUSDT", "side": "BUY", "qty": 1],
                headers: Self.key("stats-key-1"))
            #expect(reused.status == .ok)

            let empty = try await client.send(.GET, "ops/admin/idempotency/stats", token: admin)
            #expect(empty.json()["records_total"] as? Int == 2)
        }
    }
}
