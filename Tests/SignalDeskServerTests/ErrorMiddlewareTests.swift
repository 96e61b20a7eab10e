import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct ErrorMiddlewareTests {
    struct Order: Content {
        let symbol: String
        let qty: Double
    }

    struct LeakyError: Error, CustomStringConvertible {
        var description: String { "connection to postgres://admin:hunter2@db failed" }
    }

    /// Routes that only tests register: a JSON body and a handler failing with an internal error.
    static func addProbeRoutes(_ app: Application) {
        app.post("probe", "order") { req -> Order in try req.content.decode(Order.self) }
        app.get("probe", "internal") { _ -> String in throw LeakyError() }
        app.get("probe", "abort-500") { _ -> String in throw Abort(.internalServerError, reason: "secret detail") }
        app.get("probe", "stopping") { _ -> String in throw ServiceError.stopping }
        app.get("probe", "not-sql") { _ -> String in
            throw StoreDatabaseMismatch(store: "probe", expected: "PostgreSQL")
        }
    }

    /// Services throw domain errors; the middleware alone makes them HTTP answers.
    @Test func serviceErrorsBecomeAnswersInTheMiddleware() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            Self.addProbeRoutes(app)
            try await app.testing().test(.GET, "probe/stopping") { res in
                #expect(res.status == .serviceUnavailable && res.headers.first(name: "Retry-After") == "5")
                #expect(
                    res.json()["detail"] as? String == "Service temporarily unavailable: the server is shutting down")
            }
            try await app.testing().test(.GET, "probe/not-sql") { res in
                #expect(
                    res.status == .internalServerError && res.json()["detail"] as? String == "Internal Server Error")
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func unknownRoutesAnswerJSON404(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            try await app.testing().test(.GET, "no/such/route") { res in
                #expect(res.status == .notFound)
                #expect(res.headers.contentType == .json)
                #expect(res.json() as NSDictionary == ["detail": "Not Found"])
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func malformedJSONIs422NamingTheBody(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            Self.addProbeRoutes(app)
            try await app.testing().test(
                .POST, "probe/order", headers: ["Content-Type": "application/json"],
                body: .init(string: #"{"symbol": "BTCUSDT", "qty": "#)
            ) { res in
                #expect(res.status == .unprocessableEntity)
                let detail = try #require(res.json()["detail"] as? [[String: Any]])
                #expect(detail.first?["type"] as? String == "json_invalid")
                // Keys in a stable (sorted) order, the same text in every process.
                #expect(
                    res.body.string
                        == #"{"detail":[{"loc":["body"],"msg":"Malformed request body","type":"json_invalid"}]}"#)
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func wrongFieldTypesAndMissingFieldsAre422WithTheField(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            Self.addProbeRoutes(app)
            try await app.testing().test(
                .POST, "probe/order", headers: ["Content-Type": "application/json"],
                body: .init(string: #"{"symbol": "BTCUSDT", "qty": "lots"}"#)
            ) { res in
                #expect(res.status == .unprocessableEntity)
                let item = try #require((res.json()["detail"] as? [[String: Any]])?.first)
                #expect(item["loc"] as? [String] == ["body", "qty"])
                #expect(item["msg"] as? String == "Expected a number")
                #expect(!res.body.string.contains("lots"))
            }
            try await app.testing().test(
                .POST, "probe/order", headers: ["Content-Type": "application/json"],
                body: .init(string: #"{"qty": 1}"#)
            ) { res in
                #expect(res.status == .unprocessableEntity)
                let item = try #require((res.json()["detail"] as? [[String: Any]])?.first)
                #expect(item["loc"] as? [String] == ["body", "symbol"])
                #expect(item["type"] as? String == "missing")
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func wrongContentTypeIs415(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            Self.addProbeRoutes(app)
            try await app.testing().test(
                .POST, "probe/order", headers: ["Content-Type": "text/html"],
                body: .init(string: "<b>hi</b>")
            ) { res in
                #expect(res.status == .unsupportedMediaType)
                #expect(res.json()["detail"] as? String == "Unsupported Content-Type: text/html")
                // The exact text: `/` unescaped, as every answer writes it.
                #expect(res.body.string == #"{"detail":"Unsupported Content-Type: text/html"}"#)
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func oversizedBodyIs413OverTheNetwork(_ database: TestDatabase) async throws {
        try await withTestApp(database, adjust: { $0.maxBodyBytes = 2_048 }, migrate: false) { app in
            Self.addProbeRoutes(app)
            let padding = String(repeating: "x", count: 10_000)
            try await app.testing(method: .running(port: 0)).test(
                .POST, "probe/order", headers: ["Content-Type": "application/json"],
                body: .init(string: #"{"symbol": "\#(padding)", "qty": 1}"#)
            ) { res in
                #expect(res.status == .payloadTooLarge)
                #expect(res.json()["detail"] as? String == "Request body larger than 2048 bytes")
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func internalErrorsNeverReachTheClient(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            Self.addProbeRoutes(app)
            for path in ["probe/internal", "probe/abort-500"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .internalServerError)
                    #expect(res.json() as NSDictionary == ["detail": "Internal Server Error"])
                    #expect(!res.body.string.contains("hunter2"))
                    #expect(!res.body.string.contains("secret detail"))
                }
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func requestIDIsEchoedOrReplaced(_ database: TestDatabase) async throws {
        try await withTestApp(database, migrate: false) { app in
            try await app.testing().test(.GET, "healthz", headers: ["X-Request-ID": "abc-123"]) { res in
                #expect(res.headers.first(name: "X-Request-ID") == "abc-123")
            }
            try await app.testing().test(.GET, "healthz", headers: ["X-Request-ID": "bad id\twith spaces"]) { res in
                let id = try #require(res.headers.first(name: "X-Request-ID"))
                #expect(UUID(uuidString: id) != nil)
            }
        }
    }
}
