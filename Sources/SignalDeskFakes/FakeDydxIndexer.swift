import Foundation
import Vapor

/// A stand-in for a dYdX v4 indexer's `GET /v4/addresses/{address}/subaccountNumber/0`: every
/// address has subaccount 0 with the given equity, free collateral and one open BTC-USD position.
public enum FakeDydxIndexer {
    public static func start(
        equity: String = "1500.5", freeCollateral: String = "1200.25", positionSize: String = "-0.01",
        entryPrice: String = "60000"
    ) async throws -> FakeServer {
        try await FakeServer.start { app, context in
            app.get("v4", "addresses", ":address", "subaccountNumber", "0") { req -> Response in
                context.current?.record(req)
                let address = req.parameters.get("address") ?? ""
                let body = """
                    {"subaccount":{"address":"\(address)","subaccountNumber":0,"equity":"\(equity)",\
                    "freeCollateral":"\(freeCollateral)","openPerpetualPositions":{"BTC-USD":{"market":"BTC-USD",\
                    "status":"OPEN","side":"SHORT","size":"\(positionSize)","entryPrice":"\(entryPrice)"}}}}
                    """
                return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: body))
            }
        }
    }
}
