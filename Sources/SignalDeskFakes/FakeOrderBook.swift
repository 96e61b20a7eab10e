import Foundation
import NIOConcurrencyHelpers

/// Orders a fake exchange accepted, by client order id.
public final class FakeOrderBook: Sendable {
    public struct Order: Sendable {
        public let clientOrderID: String
        public let orderID: Int
        public let symbol: String
        public let side: String
        public let qty: Double
        public let price: Double
        public var status: String
    }

    private let orders = NIOLockedValueBox<[String: Order]>([:])
    private let attempts = NIOLockedValueBox<[String: Int]>([:])
    private let nextID = NIOLockedValueBox(1000)
    /// Fill prices per symbol; other symbols fill at 100.
    public let prices: [String: Double]

    public init(prices: [String: Double] = ["BTCUSDT": 30_000, "ETHUSDT": 2_000, "AAPL": 190]) {
        self.prices = prices
    }

    public var all: [Order] { orders.withLockedValue { Array($0.values) } }

    public func order(_ clientOrderID: String) -> Order? { orders.withLockedValue { $0[clientOrderID] } }

    /// How many times each client order id was sent to be placed, duplicates included.
    public var placementAttempts: [String: Int] { attempts.withLockedValue { $0 } }

    /// Stores a filled order; nil when the client id was used before.
    func accept(clientOrderID: String, symbol: String, side: String, qty: Double) -> Order? {
        attempts.withLockedValue { $0[clientOrderID, default: 0] += 1 }
        let id = nextID.withLockedValue { value -> Int in
            value += 1
            return value
        }
        return orders.withLockedValue { orders in
            guard orders[clientOrderID] == nil else { return nil }
            let order = Order(
                clientOrderID: clientOrderID, orderID: id, symbol: symbol, side: side, qty: qty,
                price: prices[symbol] ?? 100, status: "FILLED")
            orders[clientOrderID] = order
            return order
        }
    }

    func cancel(_ clientOrderID: String) -> Bool {
        orders.withLockedValue { orders in
            guard orders[clientOrderID] != nil else { return false }
            orders[clientOrderID]?.status = "CANCELED"
            return true
        }
    }
}
