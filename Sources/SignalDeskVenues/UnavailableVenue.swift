import Foundation

/// A venue SignalDesk names but cannot trade on in this build: every call is refused locally
/// with `reason`, before anything is sent, so a signal for it fails with that reason instead of
/// trading somewhere else.
public struct UnavailableVenue: Venue {
    public let name: String
    let reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> OrderResult
    {
        throw .invalid(reason)
    }

    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        throw .invalid(reason)
    }

    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        throw .invalid(reason)
    }

    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        throw .invalid(reason)
    }
}
