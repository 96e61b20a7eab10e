import Fluent
import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct MetricsTests {
    @Test func countsRequestsAndLatencyByRouteAndStatus() async throws {
        try await withTestApp(.sqlite) { app in
            for _ in 0..<3 { try await app.testing().test(.GET, "healthz") { #expect($0.status == .ok) } }
            try await app.testing().test(.GET, "missing/7f3a") { #expect($0.status == .notFound) }
            // Three paths of one route: one series, labelled with the pattern.
            for n in 1...3 {
                try await app.testing().test(
                    .POST, "webhooks/tradingview/0f7a9c3e-0000-4000-8000-00000000000\(n)",
                    beforeRequest: { req in
                        try req.content.encode(["secret": "wrong"])
                    }
                ) { #expect($0.status == .unauthorized) }
            }
            try await app.testing().test(.GET, "metrics") { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "plain")
                let text = res.body.string
                #expect(text.contains(#"http_requests_total{method="GET",route="/healthz",status="200"} 3"#))
                #expect(text.contains(#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
                #expect(
                    text.contains(#"http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 3"#)
                )
                #expect(
                    text.contains(
                        #"http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.05"}"#))
                #expect(
                    text.contains(
                        #"http_requests_total{method="POST",route="/webhooks/tradingview/:webhook_uuid",status="401"} 3"#
                    ))
                // Raw paths never become label values.
                #expect(!text.contains("7f3a"))
                #expect(!text.contains("0f7a9c3e"))
            }
        }
    }

    @Test func eachApplicationHasItsOwnRegistry() async throws {
        try await withTestApp(.sqlite, migrate: false) { first in
            try await first.testing().test(.GET, "healthz") { _ in }
            try await withTestApp(.sqlite, migrate: false) { second in
                try await second.testing().test(.GET, "metrics") { res in
                    #expect(!res.body.string.contains(#"route="/healthz""#))
                }
            }
        }
    }

    /// contract.md "Health": signals by status and orders by venue and status, read from the database
    /// at scrape time, with fixed label sets and no user data in them.
    @Test(arguments: TestDatabase.all)
    func signalsByStatusAndOrdersByVenueAndStatus(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (ana, _) = try await client.signIn("ana@trading.co")
            for _ in 0..<3 { _ = try await client.createSignal(ana) }
            #expect(try await client.claim(ana, limit: 1).count == 1)
            let anaID = try #require(try await User.query(on: app.db).filter(\.$email == "ana@trading.co").first()?.id)
            for (venue, status) in [
                ("PAPER", "FILLED"), ("PAPER", "FILLED"), ("BINANCE", "REJECTED"), ("PAPER", "odd status"),
            ] {
                let order = Order()
                order.$user.id = anaID
                order.venue = venue
                order.clientOrderID = "sd-\(UUID().uuidString.lowercased())"
                order.symbol = "BTCUSDT"
                order.side = "BUY"
                order.qty = 1
                order.status = status
                order.createdAt = Date()
                order.updatedAt = Date()
                try await order.create(on: app.db)
            }
            try await app.testing().test(.GET, "metrics") { res in
                #expect(res.status == .ok)
                let lines = Set(res.body.string.split(separator: "\n").map(String.init))
                for line in [
                    #"signaldesk_signals{status="CREATED"} 2"#,
                    #"signaldesk_signals{status="EXECUTING"} 1"#,
                    #"signaldesk_signals{status="OPENED"} 0"#,
                    #"signaldesk_signals{status="FAILED"} 0"#,
                    #"signaldesk_orders{venue="PAPER",status="FILLED"} 2"#,
                    #"signaldesk_orders{venue="BINANCE",status="REJECTED"} 1"#,
                    #"signaldesk_orders{venue="PAPER",status="OTHER"} 1"#,
                    "# TYPE signaldesk_signals gauge",
                    "# TYPE signaldesk_orders gauge",
                    "signaldesk_database_gauges_ok 1",
                ] {
                    #expect(lines.contains(line), "missing: \(line)")
                }
                #expect(lines.filter { $0.hasPrefix("signaldesk_signals{") }.count == 7)
                // No user data in any label.
                #expect(
                    !res.body.string.contains(anaID.uuidString.lowercased())
                        && !res.body.string.contains(anaID.uuidString))
                #expect(!res.body.string.contains("ana@"))
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aScrapeAnswersWhileTheDatabaseIsDown() async throws {
        try await withUnreachablePostgres { app in
            try await app.testing().test(.GET, "metrics") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("signaldesk_database_gauges_ok 0"))
                #expect(!res.body.string.contains("signaldesk_signals{"))
            }
        }
    }
}
