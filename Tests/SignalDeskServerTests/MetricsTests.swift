@testable import SignalDeskServer
import Testing
import VaporTesting

@Suite struct MetricsTests {
    @Test func countsRequestsAndLatencyByRouteAndStatus() async throws {
        try await withTestApp(.sqlite) { app in
            for _ in 0..<3 { try await app.testing().test(.GET, "healthz") { #expect($0.status == .ok) } }
            try await app.testing().test(.GET, "missing/7f3a") { #expect($0.status == .notFound) }
            // Three paths of one route: one series, labelled with the pattern.
            for n in 1...3 {
                try await app.testing().test(.POST, "webhooks/tradingview/0f7a9c3e-0000-4000-8000-00000000000\(n)", beforeRequest: { req in
                    try req.content.encode(["secret": "wrong"])
                }) { #expect($0.status == .unauthorized) }
            }
            try await app.testing().test(.GET, "metrics") { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "plain")
                let text = res.body.string
                #expect(text.contains(#"http_requests_total{method="GET",route="/healthz",status="200"} 3"#))
                #expect(text.contains(#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
                #expect(text.contains(#"http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 3"#))
                #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.05"}"#))
                #expect(text.contains(#"http_requests_total{method="POST",route="/webhooks/tradingview/:webhook_uuid",status="401"} 3"#))
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
}
