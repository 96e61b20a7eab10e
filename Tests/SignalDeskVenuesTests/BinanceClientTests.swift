import Foundation
import SignalDeskFakes
import SignalDeskVenues
import Testing

@Suite struct BinanceClientTests {
    @Test func signedQueryHasTheDocumentedShape() async throws {
        let client = BinanceClient(
            baseURL: "http://unused", transport: HTTPTransport(client: .shared),
            now: { Date(timeIntervalSince1970: 1_499_827_319.559) })
        let query = client.signedQuery(
            QueryString([
                ("symbol", "LTCBTC"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "1"),
                ("price", "0.1"),
            ]),
            secret: "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
        // Binance's own example: same payload, same signature.
        #expect(
            query
                == "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
                + "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    }

    @Test func percentEncodingFollowsRFC3986() {
        #expect(QueryString.encode("abc-._~XYZ019") == "abc-._~XYZ019")
        #expect(QueryString.encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
    }

    @Test func testOrdersPlaceAndQueryAgainstTheFake() async throws {
        try await withFake({ try await FakeBinance.start(accounts: $0) }) { server, transport in
            let client = BinanceClient(baseURL: server.baseURL, transport: transport)
            #expect(
                try await client.testOrder(order(), credentials: credentials)
                    == TestOrderResult(mode: "testnet_order_test"))
            // Non-ASCII in a parameter is percent-encoded before signing, and the fake agrees.
            let placed = try await client.placeOrder(order(id: "sd-ñ-1"), credentials: credentials)
            #expect(placed.status == .filled && placed.filledQty == 0.001 && placed.averagePrice == 30_000)
            let found = try await client.queryOrder(
                clientOrderID: "sd-ñ-1", symbol: "BTCUSDT", credentials: credentials)
            #expect(found?.venueOrderID == placed.venueOrderID)
            #expect(
                try await client.queryOrder(clientOrderID: "nope", symbol: "BTCUSDT", credentials: credentials) == nil)
            await #expect(throws: VenueError.self) {
                try await client.placeOrder(order(id: "sd-ñ-1"), credentials: credentials)
            }
            #expect(server.requests.filter { $0 == "POST /api/v3/order" }.count == 2)
        }
    }

    @Test func theFakeRefusesWhatBinanceRefuses() async throws {
        try await withFake({ try await FakeBinance.start(accounts: $0) }) { server, transport in
            let client = BinanceClient(baseURL: server.baseURL, transport: transport)
            func code(_ call: () async throws(VenueError) -> Void) async -> String? {
                do {
                    try await call()
                    return "ok"
                } catch {
                    if case .rejected(_, let code, _) = error { return code }
                    return "\(error)"
                }
            }
            #expect(
                await code { () async throws(VenueError) in
                    _ = try await client.testOrder(order("NOPE"), credentials: credentials)
                } == "-1121")
            let wrongSecret = VenueCredentials(apiKey: testKey, apiSecret: "another-secret")
            #expect(
                await code { () async throws(VenueError) in
                    _ = try await client.testOrder(order(), credentials: wrongSecret)
                } == "-1022")
            let unknownKey = VenueCredentials(apiKey: "who", apiSecret: testSecret)
            #expect(
                await code { () async throws(VenueError) in
                    _ = try await client.testOrder(order(), credentials: unknownKey)
                } == "-2015")
            let skewed = BinanceClient(
                baseURL: server.baseURL, transport: transport, now: { Date().addingTimeInterval(-10) })
            #expect(
                await code { () async throws(VenueError) in
                    _ = try await skewed.testOrder(order(), credentials: credentials)
                } == "-1021")
            let ahead = BinanceClient(
                baseURL: server.baseURL, transport: transport, now: { Date().addingTimeInterval(30) })
            #expect(
                await code { () async throws(VenueError) in
                    _ = try await ahead.testOrder(order(), credentials: credentials)
                } == "-1021")
        }
    }

    @Test func httpFailuresMapToVenueErrors() async throws {
        try await withFake({ try await FakeBinance.start(accounts: $0) }) { server, transport in
            let client = BinanceClient(baseURL: server.baseURL, transport: transport)
            server.behavior = .status(451, body: #"{"code":0,"msg":"Service unavailable from a restricted location"}"#)
            await #expect(
                throws: VenueError.rejected(
                    status: 451, code: "0", body: #"{"code":0,"msg":"Service unavailable from a restricted location"}"#)
            ) {
                try await client.testOrder(order(), credentials: credentials)
            }
            server.behavior = .status(503, body: "{}")
            await #expect(throws: VenueError.unavailable(status: 503, body: "{}")) {
                try await client.testOrder(order(), credentials: credentials)
            }
            // Only this call gets a short deadline: a loaded CI machine may need more than a second
            // for an ordinary answer, and a timeout there would hide the mapping under test.
            server.behavior = .delay(.seconds(4))
            let impatient = BinanceClient(
                baseURL: server.baseURL, transport: HTTPTransport(client: .shared, timeout: .milliseconds(500)))
            await #expect(throws: VenueError.timeout) {
                try await impatient.testOrder(order(), credentials: credentials)
            }
            #expect(
                VenueError.timeout.outcomeUnknown
                    && !VenueError.rejected(status: 400, code: nil, body: "").outcomeUnknown)
        }
    }

    @Test func queriesAreRetriedButOrdersAreNot() async throws {
        try await withFake({ try await FakeBinance.start(accounts: $0) }) { server, transport in
            let client = BinanceClient(baseURL: server.baseURL, transport: transport)
            server.behavior = .status(500, body: "{}")
            _ = try? await client.queryOrder(clientOrderID: "x", symbol: "BTCUSDT", credentials: credentials)
            #expect(server.requests.filter { $0 == "GET /api/v3/order" }.count == 3)
            _ = try? await client.placeOrder(order(), credentials: credentials)
            #expect(server.requests.filter { $0 == "POST /api/v3/order" }.count == 1)
        }
    }

    /// Two breakers, so that nothing depends on how fast the test runs: one whose cooldown outlasts
    /// the test shows the open circuit refusing calls; one with no cooldown is half open as soon as
    /// it trips and shows the trial call closing it. (One breaker with a 200 ms cooldown went half
    /// open by itself whenever the machine was slow between the third failure and the check.)
    @Test func theCircuitOpensAfterRepeatedFailuresAndRecovers() async throws {
        try await withFake({ try await FakeBinance.start(accounts: $0) }) { server, transport in
            let client = BinanceClient(baseURL: server.baseURL, transport: transport)
            let breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(3600))
            let venue = GuardedVenue(client, breaker: breaker)
            server.behavior = .status(502, body: "{}")
            for _ in 0..<2 { _ = try? await venue.testOrder(order(), credentials: credentials) }
            #expect(await breaker.state == .closed)
            _ = try? await venue.testOrder(order(), credentials: credentials)
            #expect(await breaker.state == .open)
            let before = server.requests.count
            await #expect(throws: VenueError.circuitOpen(venue: "BINANCE")) {
                try await venue.testOrder(order(), credentials: credentials)
            }
            #expect(server.requests.count == before)

            let recovering = CircuitBreaker(threshold: 3, cooldown: .zero)
            let retried = GuardedVenue(client, breaker: recovering)
            for _ in 0..<3 { _ = try? await retried.testOrder(order(), credentials: credentials) }
            #expect(await recovering.state == .halfOpen)
            server.behavior = .normal
            _ = try await retried.testOrder(order(), credentials: credentials)
            #expect(await recovering.state == .closed)
        }
    }
}
