import AsyncHTTPClient
import Foundation
import SignalDeskFakes
import SignalDeskVenues
import Testing

let testKey = "test-api-key-1234"
let testSecret = "test-api-secret-5678"
let credentials = VenueCredentials(apiKey: testKey, apiSecret: testSecret)

/// Runs `body` with a fake exchange and an HTTP client, shutting both down afterwards.
func withFake(
    _ start: ([String: String]) async throws -> FakeServer,
    timeout: Duration = .seconds(10),
    _ body: (FakeServer, HTTPTransport) async throws -> Void
) async throws {
    let server = try await start([testKey: testSecret])
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        try await body(server, HTTPTransport(client: client, timeout: timeout))
    } catch {
        try await client.shutdown()
        await server.shutdown()
        throw error
    }
    try await client.shutdown()
    await server.shutdown()
}

func order(_ symbol: String = "BTCUSDT", qty: Double = 0.001, id: String = "sd-\(UUID().uuidString.prefix(8))")
    -> OrderRequest
{
    OrderRequest(symbol: symbol, side: .long, qty: qty, clientOrderID: id)
}
