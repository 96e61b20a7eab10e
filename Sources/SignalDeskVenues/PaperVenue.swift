import Foundation
import SignalDeskCore

/// Paper trading: fills market orders at once at the given or last known price, moved against
/// the trader by `slippageBps`, and charges `feeBps` of the notional. Orders are remembered by
/// client id, so placing the same client id twice returns the first fill.
public actor PaperBook {
    var orders: [String: OrderResult] = [:]
    public init() {}
}

public struct PaperVenue: Venue {
    public let name: String
    let feeBps: Double
    let slippageBps: Double
    let book: PaperBook
    let lastPrice: @Sendable (String) async -> Double?

    public init(
        name: String = "PAPER", feeBps: Double, slippageBps: Double, book: PaperBook = PaperBook(),
        lastPrice: @escaping @Sendable (String) async -> Double?
    ) {
        self.name = name
        self.feeBps = feeBps
        self.slippageBps = slippageBps
        self.book = book
        self.lastPrice = lastPrice
    }

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> OrderResult
    {
        if let existing = await book.orders[order.clientOrderID] { return existing }
        guard order.qty.isFinite, order.qty > 0 else { throw .invalid("qty must be greater than 0") }
        var reference = order.price
        if reference == nil { reference = await lastPrice(order.symbol) }
        guard let reference, reference.isFinite, reference > 0 else {
            throw .invalid("no price known for \(order.symbol)")
        }
        let slip = reference * slippageBps / 10_000
        let fill = order.side == .long ? reference + slip : reference - slip
        let result = OrderResult(
            clientOrderID: order.clientOrderID, venueOrderID: "paper-\(order.clientOrderID)", status: .filled,
            filledQty: order.qty, averagePrice: fill, fees: fill * order.qty * feeBps / 10_000)
        return await book.record(result)
    }

    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        await book.orders[clientOrderID]
    }

    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        // Paper market orders fill at once; there is nothing left to cancel.
    }

    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        guard order.qty.isFinite, order.qty > 0 else { throw .invalid("qty must be greater than 0") }
        return TestOrderResult(mode: "paper_test")
    }
}

extension PaperBook {
    /// Records `result` unless an order with its client id exists; returns the stored one.
    func record(_ result: OrderResult) -> OrderResult {
        if let existing = orders[result.clientOrderID] { return existing }
        orders[result.clientOrderID] = result
        return result
    }
}
