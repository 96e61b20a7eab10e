import Fluent
import Foundation
import SignalDeskCore
import SignalDeskFakes
import Testing
import VaporTesting

@testable import SignalDeskServer

/// `POST /ops/execution/pretrade/{exchange}/auto-pick` and `GET /ops/admin/auto-pick/report`
/// (issue 25, group 2), as crypto-saas's test_pretrade_auto_pick_* and test_auto_pick_report_* pin
/// them, against a fake Binance testnet that records the orders it gets.
@Suite struct AutoPickTests {
    static let accounts = ["test-api-key-1234": "test-api-secret-5678"]

    static func withFakeBinance(
        _ database: TestDatabase, _ body: (Application, Client, FakeServer) async throws -> Void
    ) async throws {
        let binance = try await FakeBinance.start(accounts: accounts)
        do {
            try await withTestApp(
                database,
                adjust: {
                    $0.binanceTestnetBaseURL = URL(string: binance.baseURL)!
                    $0.venueTimeoutSeconds = 3
                }
            ) { app in try await body(app, Client(app: app), binance) }
        } catch {
            await binance.shutdown()
            throw error
        }
        await binance.shutdown()
    }

    static func pick(dryRun: Bool, candidates: [[String: Any]]? = nil, topN: Int = 10) -> [String: Any] {
        ["top_n": topN, "dry_run": dryRun, "candidates": candidates ?? [PretradeScanTests.candidate("BTCUSDT")]]
    }

    static func headers(_ key: String) -> HTTPHeaders { ["X-Idempotency-Key": key] }

    /// test_pretrade_auto_pick_dry_run_and_execute, test_pretrade_auto_pick_requires_idempotency_key_when_executing,
    /// test_pretrade_auto_pick_idempotency_deduplicates_processing.
    @Test(arguments: TestDatabase.all)
    func dryRunNamesThePickAndExecutionSendsItOncePerKey(_ database: TestDatabase) async throws {
        try await Self.withFakeBinance(database) { app, client, binance in
            let (token, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            let candidates = [
                PretradeScanTests.candidate("ETHUSDT", rr: 1.6, trend: 0, momentum: 0),
                PretradeScanTests.candidate("BTCUSDT"), PretradeScanTests.candidate("DOGEUSDT", spread: 40),
            ]

            let dry = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: true, candidates: candidates))
            #expect(dry.status == .ok)
            #expect(dry.json()["selected"] as? Bool == true)
            #expect(dry.json()["selected_symbol"] as? String == "BTCUSDT")
            #expect(dry.json()["selected_side"] as? String == "BUY")
            #expect(dry.json()["decision"] as? String == "dry_run_selected")
            #expect(dry.json()["execution_status"] as? String == "dry_run")
            #expect(dry.json()["prediction_vs_real"] as? String == "no_prediction")
            #expect(dry.json()["execution"] is NSNull)
            #expect((dry.json()["scan"] as? [String: Any])?["scanned_assets"] as? Int == 3)
            #expect(binance.requests.isEmpty)

            let noKey = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false, candidates: candidates))
            #expect(noKey.status == .badRequest)
            #expect(noKey.json()["detail"] as? String == "X-Idempotency-Key is required when dry_run=false")
            #expect(binance.requests.isEmpty)

            let executed = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false, candidates: candidates), headers: Self.headers("autopick-exec-1"))
            #expect(executed.status == .ok)
            #expect(executed.json()["decision"] as? String == "executed_test_order")
            #expect(executed.json()["execution_status"] as? String == "executed")
            let execution = try #require(executed.json()["execution"] as? [String: Any])
            #expect(execution["sent"] as? Bool == true)
            #expect(execution["mode"] as? String == "testnet_order_test")
            #expect(execution["symbol"] as? String == "BTCUSDT")
            #expect(binance.requests == ["POST /api/v3/order/test"])

            // The same key and payload: the first answer again, and no second order.
            let replayed = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false, candidates: candidates), headers: Self.headers("autopick-exec-1"))
            #expect(replayed.status == .ok)
            #expect(replayed.body.string == executed.body.string)
            #expect(binance.requests.count == 1)

            let conflict = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false, candidates: candidates, topN: 2),
                headers: Self.headers("autopick-exec-1"))
            #expect(conflict.status == .conflict)
            #expect(conflict.json()["detail"] as? String == "Idempotency key already used with different payload")
            #expect(binance.requests.count == 1)

            // Keys belong to their user: another trader's same key is a new request.
            let (other, _) = try await client.signIn("other@test.com")
            try await ExecutionTests.saveSecret(client, other, "BINANCE")
            let others = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: other,
                json: Self.pick(dryRun: false, candidates: candidates), headers: Self.headers("autopick-exec-1"))
            #expect(others.json()["decision"] as? String == "executed_test_order")
            #expect(binance.requests.count == 2)

            #expect(try await client.auditCount("pretrade.auto_pick.started") == 3)
            #expect(try await client.auditCount("pretrade.auto_pick.completed") == 3)
            #expect(try await client.auditCount("execution.binance.test_order.success") == 2)
        }
    }

    @Test(arguments: TestDatabase.all)
    func nothingPassingOrAVenueRefusalIsAnAnswerNotAnError(_ database: TestDatabase) async throws {
        try await Self.withFakeBinance(database) { app, client, binance in
            let (token, _) = try await client.signIn("trader@test.com")
            // No credentials: every candidate fails exchange_secret_configured.
            let none = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false), headers: Self.headers("k-none"))
            #expect(none.status == .ok)
            #expect(none.json()["selected"] as? Bool == false)
            #expect(none.json()["selected_symbol"] is NSNull)
            #expect(none.json()["decision"] as? String == "no_candidate_passed")
            #expect(none.json()["execution_status"] as? String == "not_executed")
            #expect(none.json()["top_failed_checks"] as? [String] == ["exchange_secret_configured"])
            let empty = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: ["top_n": 10, "dry_run": false, "direction": "LONG", "candidates": [Any]()],
                headers: Self.headers("k-empty"))
            #expect(empty.json()["decision"] as? String == "no_candidate_passed")
            #expect(empty.json()["requested_direction"] as? String == "LONG")
            #expect(empty.json()["top_failed_checks"] as? [String] == [])

            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            binance.behavior = .status(451, body: #"{"code":0,"msg":"restricted location"}"#)
            let refused = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false), headers: Self.headers("k-refused"))
            #expect(refused.status == .ok)
            #expect(refused.json()["decision"] as? String == "insufficient_resources_or_execution_error")
            #expect(refused.json()["execution_status"] as? String == "failed")
            let execution = try #require(refused.json()["execution"] as? [String: Any])
            #expect(execution["sent"] as? Bool == false)
            #expect(
                (execution["error"] as? String)?.hasPrefix("Binance test order failed: Binance testnet error 451")
                    == true)
            #expect(!refused.body.string.contains("test-api-secret-5678"))
            #expect(try await client.auditCount("execution.binance.test_order.error") == 1)

            // Only SELL candidates for a SHORT pick.
            var sell = PretradeScanTests.candidate("ETHUSDT")
            sell["side"] = "SELL"
            let short = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: [
                    "dry_run": true, "direction": "short",
                    "candidates": [PretradeScanTests.candidate("BTCUSDT"), sell],
                ])
            #expect(short.json()["selected_symbol"] as? String == "ETHUSDT")
            #expect(short.json()["selected_side"] as? String == "SELL")
            #expect((short.json()["scan"] as? [String: Any])?["scanned_assets"] as? Int == 1)

            // DYDX: a dry run picks; there is no test order to execute.
            let dydxDry = try await client.send(
                .POST, "ops/execution/pretrade/dydx/auto-pick", token: token, json: Self.pick(dryRun: true))
            #expect(dydxDry.status == .ok)
            let dydx = try await client.send(
                .POST, "ops/execution/pretrade/dydx/auto-pick", token: token, json: Self.pick(dryRun: false),
                headers: Self.headers("k-dydx"))
            #expect(dydx.status == .unprocessableEntity)
        }
    }

    /// Two executions with one key at once: one order, and the other request is refused while the
    /// first runs (or answered with its answer).
    @Test(arguments: TestDatabase.all)
    func concurrentExecutionsWithOneKeySendOneOrder(_ database: TestDatabase) async throws {
        try await Self.withFakeBinance(database) { app, client, binance in
            let (token, _) = try await client.signIn("trader@test.com")
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            binance.behavior = .delay(.milliseconds(700))
            let statuses = try await withThrowingTaskGroup(of: (UInt, String).self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let response = try await client.send(
                            .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                            json: Self.pick(dryRun: false), headers: Self.headers("same-key-concurrent"))
                        return (response.status.code, response.body.string)
                    }
                }
                var all: [(UInt, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(binance.requests.count == 1)
            #expect(statuses.filter { $0.0 == 200 }.count >= 1)
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 409 }, "\(statuses)")
        }
    }

    /// test_auto_pick_report_last_2_hours.
    @Test(arguments: TestDatabase.all)
    func theReportListsRecentPicksNewestFirst(_ database: TestDatabase) async throws {
        try await Self.withFakeBinance(database) { app, client, binance in
            let (admin, _) = try await client.signIn("admin@test.com", role: .admin)
            let (token, _) = try await client.signIn("trader@test.com")
            _ = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token, json: Self.pick(dryRun: true))
            try await ExecutionTests.saveSecret(client, token, "BINANCE")
            let picked = try await client.send(
                .POST, "ops/execution/pretrade/binance/auto-pick", token: token,
                json: Self.pick(dryRun: false, topN: 5), headers: Self.headers("autopick-report-1"))
            #expect(picked.status == .ok)

            let report = try await client.send(
                .GET, "ops/admin/auto-pick/report?hours=2&limit=200&interval_minutes=5", token: admin)
            #expect(report.status == .ok)
            #expect(report.json()["hours"] as? Int == 2)
            #expect(report.json()["interval_minutes"] as? Int == 5)
            let rows = try #require(report.json()["rows"] as? [[String: Any]])
            #expect(rows.count == 2)
            #expect(rows.first?["decision"] as? String == "executed_test_order")
            #expect(rows.first?["bought"] as? Bool == true)
            #expect(rows.first?["reason"] as? String == "executed_test_order")
            #expect(rows.first?["symbol"] as? String == "BTCUSDT")
            #expect(rows.first?["user_email"] as? String == "trader@test.com")
            #expect(rows.first?["prediction_vs_real"] as? String == "no_prediction")
            #expect(rows.first?["bucket_5m"] is String)
            #expect(rows.last?["bought"] as? Bool == false)
            #expect(rows.last?["reason"] as? String == "no_compra: exchange_secret_configured")

            let one = try await client.send(.GET, "ops/admin/auto-pick/report?limit=1", token: admin)
            #expect((one.json()["rows"] as? [[String: Any]])?.count == 1)
            for bad in ["hours=0", "hours=49", "limit=0", "interval_minutes=61", "hours=abc"] {
                let refused = try await client.send(.GET, "ops/admin/auto-pick/report?\(bad)", token: admin)
                #expect(refused.status == .unprocessableEntity, "\(bad)")
            }
            #expect(try await client.send(.GET, "ops/admin/auto-pick/report", token: token).status == .forbidden)
        }
    }
}
