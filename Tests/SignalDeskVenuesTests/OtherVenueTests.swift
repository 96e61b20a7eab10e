import Foundation
import SignalDeskCore
import SignalDeskFakes
import Testing

@testable import SignalDeskVenues

@Suite struct BybitClientTests {
    @Test func stringToSign() {
        #expect(
            BybitClient.stringToSign(
                timestamp: "1658384314791", apiKey: "XXXXXXXXXX", recvWindow: "5000",
                payload: #"{"category":"spot","symbol":"BTCUSDT"}"#)
                == #"1658384314791XXXXXXXXXX5000{"category":"spot","symbol":"BTCUSDT"}"#)
        #expect(
            BybitClient.json(["qty": "0.01", "symbol": "BTCUSDT", "category": "spot", "orderLinkId": "x\"y"])
                == #"{"category":"spot","symbol":"BTCUSDT","qty":"0.01","orderLinkId":"x\"y"}"#)
    }

    @Test func ordersAndValidationAgainstTheFake() async throws {
        try await withFake({ try await FakeBybit.start(accounts: $0) }) { server, transport in
            let client = BybitClient(baseURL: server.baseURL, transport: transport)
            #expect(try await client.testOrder(order(), credentials: credentials).mode == "testnet_order_validate")
            await #expect(throws: VenueError.self) {
                try await client.testOrder(order("DOGEUSDT"), credentials: credentials)
            }
            await #expect(
                throws: VenueError.rejected(status: 200, code: "qty", body: "qty 0.00001 is below the minimum 0.000048")
            ) {
                try await client.testOrder(order(qty: 0.00001), credentials: credentials)
            }
            let placed = try await client.placeOrder(order(id: "link-1"), credentials: credentials)
            #expect(placed.venueOrderID != nil)
            let found = try await client.queryOrder(
                clientOrderID: "link-1", symbol: "BTCUSDT", credentials: credentials)
            #expect(found?.status == .filled && found?.filledQty == 0.001)
            #expect(
                try await client.queryOrder(clientOrderID: "none", symbol: "BTCUSDT", credentials: credentials) == nil)
            try await client.cancelOrder(clientOrderID: "link-1", symbol: "BTCUSDT", credentials: credentials)
            #expect(
                try await client.queryOrder(clientOrderID: "link-1", symbol: "BTCUSDT", credentials: credentials)?
                    .status == .canceled)
        }
    }

    @Test func theFakeRefusesBadSignaturesKeysAndClocks() async throws {
        try await withFake({ try await FakeBybit.start(accounts: $0) }) { server, transport in
            func code(_ client: BybitClient, _ creds: VenueCredentials) async -> String? {
                do {
                    _ = try await client.placeOrder(order(), credentials: creds)
                    return "ok"
                } catch {
                    if case .rejected(_, let code, _) = error { return code }
                    return "\(error)"
                }
            }
            let client = BybitClient(baseURL: server.baseURL, transport: transport)
            #expect(await code(client, VenueCredentials(apiKey: testKey, apiSecret: "wrong")) == "10004")
            #expect(await code(client, VenueCredentials(apiKey: "who", apiSecret: testSecret)) == "10003")
            let late = BybitClient(
                baseURL: server.baseURL, transport: transport, now: { Date().addingTimeInterval(-6) })
            #expect(await code(late, credentials) == "10002")
            server.behavior = .status(500, body: "")
            await #expect(throws: VenueError.unavailable(status: 500, body: "")) {
                try await client.placeOrder(order(), credentials: credentials)
            }
        }
    }
}

@Suite struct IBKRClientTests {
    let simulator = PaperVenue(name: "IBKR", feeBps: 0, slippageBps: 0, lastPrice: { _ in 190 })

    @Test func localValidationComesFirst() async throws {
        let client = IBKRClient(bridgeURL: nil, transport: HTTPTransport(client: .shared), simulator: simulator)
        await #expect(throws: VenueError.invalid("API key and secret must be at least 8 characters")) {
            try await client.testOrder(
                order("AAPL"), credentials: VenueCredentials(apiKey: "short", apiSecret: testSecret))
        }
        await #expect(throws: VenueError.invalid("symbol must be alphanumeric")) {
            try await client.testOrder(order("BRK.B"), credentials: credentials)
        }
        await #expect(throws: VenueError.invalid("qty must be greater than 0")) {
            try await client.testOrder(order("AAPL", qty: 0), credentials: credentials)
        }
        let simulated = try await client.testOrder(order("AAPL", id: "ref-1"), credentials: credentials)
        #expect(simulated == TestOrderResult(mode: "paper_simulated_test", orderRef: "ref-1"))
    }

    @Test func theBridgeChecksTheSignature() async throws {
        try await withFake({ try await FakeIBKRBridge.start(accounts: $0) }) { server, transport in
            let client = IBKRClient(bridgeURL: server.baseURL, transport: transport, simulator: simulator)
            #expect(
                try await client.testOrder(order("AAPL", id: "ref-2"), credentials: credentials)
                    == TestOrderResult(mode: "paper_bridge_test", orderRef: "ref-2"))
            await #expect(throws: VenueError.self) {
                try await client.testOrder(
                    order("AAPL"), credentials: VenueCredentials(apiKey: testKey, apiSecret: "wrong-secret"))
            }
            let placed = try await client.placeOrder(order("AAPL", qty: 3, id: "ref-3"), credentials: credentials)
            #expect(placed.status == .filled && placed.averagePrice == 190)
            #expect(
                try await client.queryOrder(clientOrderID: "ref-3", symbol: "AAPL", credentials: credentials)?.filledQty
                    == 3)
            #expect(
                try await client.queryOrder(clientOrderID: "ref-404", symbol: "AAPL", credentials: credentials) == nil)
        }
    }
}

@Suite struct PaperVenueTests {
    @Test func fillsWithSlippageAndFeesOnceByClientID() async throws {
        let venue = PaperVenue(feeBps: 10, slippageBps: 5, lastPrice: { $0 == "BTCUSDT" ? 30_000 : nil })
        let buy = try await venue.placeOrder(order(qty: 2, id: "p-1"), credentials: credentials)
        #expect(buy.status == .filled && buy.averagePrice == 30_015 && buy.fees == 30_015 * 2 * 0.001)
        let again = try await venue.placeOrder(
            OrderRequest(symbol: "BTCUSDT", side: .long, qty: 9, clientOrderID: "p-1"), credentials: credentials)
        #expect(again == buy)
        let sell = try await venue.placeOrder(
            OrderRequest(symbol: "BTCUSDT", side: .short, qty: 1, price: 100, clientOrderID: "p-2"),
            credentials: credentials)
        #expect(sell.averagePrice == 99.95)
        await #expect(throws: VenueError.invalid("no price known for ETHUSDT")) {
            try await venue.placeOrder(order("ETHUSDT"), credentials: credentials)
        }
        #expect(try await venue.queryOrder(clientOrderID: "p-2", symbol: "BTCUSDT", credentials: credentials) == sell)
    }
}
