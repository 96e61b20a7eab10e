import Foundation
import Testing
import VaporTesting

@testable import SignalDeskServer

@Suite struct HealthTests {
    @Test(arguments: TestDatabase.all)
    func livenessEndpoints(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            try await app.testing().test(.GET, "healthz") { res in
                #expect(res.status == .ok)
                #expect(res.json() as NSDictionary == ["status": "ok"])
            }
            try await app.testing().test(.GET, "/") { res in
                #expect(res.status == .ok)
                #expect(res.json() as NSDictionary == ["app": "signaldesk", "docs": "/docs"])
            }
            try await app.testing().test(.GET, "live") { res in
                #expect(res.status == .ok)
                let body = res.json()
                #expect(body["status"] as? String == "alive")
                #expect((body["uptime_seconds"] as? Double).map { $0 >= 0 } == true)
                let timestamp = try #require(body["timestamp"] as? String)
                #expect(ISO8601DateFormatter().date(from: timestamp) != nil)
            }
        }
    }

    /// contract.md "Wire details": crypto-saas's placeholder, without authentication.
    @Test func opsHealthIsCryptoSaasPlaceholder() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            try await app.testing().test(.GET, "ops/health") { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "json")
                #expect(res.json() as NSDictionary == ["system_state": "OK", "note": "placeholder"])
            }
        }
    }

    /// Browsers ask for /favicon.ico on every page; it is an image, without authentication.
    @Test func faviconIsServed() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            try await app.testing().test(.GET, "favicon.ico") { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.description.hasPrefix("image/svg+xml") == true)
                #expect(res.body.string.hasPrefix("<svg") && res.body.string.contains("</svg>"))
            }
        }
    }

    @Test(arguments: TestDatabase.all)
    func readyMakesARealRoundTrip(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            // Polled: the probe gives the database 2 s, which a test process saturated by the whole
            // suite starting at once can miss (the answer is then 503, as it should be).
            var answer: NSDictionary = [:]
            let ready = try await eventually(30) {
                let res = try await app.testing().sendRequest(.GET, "ready")
                answer = res.json() as NSDictionary
                return res.status == .ok
            }
            #expect(ready)
            #expect(answer == ["status": "ready", "database": "connected"])
        }
    }

    /// How soon: the probe's deadline (2 s), pinned without a clock by
    /// ``deadlineGivesUpOnAnOperationThatIgnoresCancellation()``; a wall-clock bound here failed
    /// on CI when the test process was busy starting 227 tests (6.9 s for a 2 s deadline). The
    /// time limit catches a hang.
    @Test(.timeLimit(.minutes(1)))
    func readyAnswers503WhenPostgresIsUnreachable() async throws {
        try await withUnreachablePostgres { app in
            try await app.testing().test(.GET, "ready") { res in
                #expect(res.status == .serviceUnavailable)
                #expect(res.json() as NSDictionary == ["status": "not_ready", "database": "unreachable"])
            }
            // Liveness does not depend on the database.
            try await app.testing().test(.GET, "healthz") { res in
                #expect(res.status == .ok)
            }
        }
    }

    /// Requests that need the database answer 503 with Retry-After while it is unreachable,
    /// rather than hanging (the time limit), and never 500.
    @Test(.timeLimit(.minutes(1)))
    func requestsAnswer503WhileTheDatabaseIsDown() async throws {
        try await withUnreachablePostgres { app in
            let alert = try await app.testing().sendRequest(
                .POST, "webhooks/tradingview/\(UUID().uuidString.lowercased())",
                headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"secret":"s","symbol":"BTCUSDT","side":"buy"}"#))
            #expect(alert.status == .serviceUnavailable && alert.headers.first(name: "Retry-After") == "5")
            #expect(
                alert.json()["detail"] as? String == "Service temporarily unavailable: the database cannot be reached")
            let login = try await Client(app: app).login("ana@trading.co")
            #expect(login.status == .serviceUnavailable)
        }
    }

    /// The deadline returns while the operation is still running: it does not wait for an
    /// operation that ignores cancellation. Checked by state rather than by the clock (a
    /// wall-clock bound failed on a busy CI machine).
    @Test(.timeLimit(.minutes(1)))
    func deadlineGivesUpOnAnOperationThatIgnoresCancellation() async throws {
        let release = ReleaseFlag()
        let finished = ReleaseFlag()
        await #expect(throws: DatabaseProbe.Timeout.self) {
            try await DatabaseProbe.withDeadline(.milliseconds(100)) {
                // Ignores cancellation, like a connect to a silent host, until the test releases
                // it (or 20 s have passed, so that a broken deadline fails the test, not hangs it).
                let giveUp = ContinuousClock.now + .seconds(20)
                while !release.isSet && ContinuousClock.now < giveUp {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                finished.set()
            }
        }
        // Waiting for the operation would have meant waiting for the release below.
        #expect(!finished.isSet)
        release.set()
    }
}

/// A flag the test sets to let a background operation finish.
final class ReleaseFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Runs `body` with an application configured for a PostgreSQL that cannot be reached (a closed
/// loopback port), not migrated.
func withUnreachablePostgres(_ body: (Application) async throws -> Void) async throws {
    let port = try closedLoopbackPort()
    try await withTestApp(
        .sqlite,
        adjust: { config in
            config.database = .postgres(url: "postgres://signaldesk:pw@127.0.0.1:\(port)/signaldesk")
        }, migrate: false, body)
}

/// A loopback port with nothing listening: bound once to learn a free number, then closed.
func closedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
