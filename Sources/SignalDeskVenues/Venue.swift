import Foundation
import SignalDeskCore

/// API credentials for one venue call. Held only for the call; never logged.
public struct VenueCredentials: Sendable {
    public let apiKey: String
    public let apiSecret: String

    public init(apiKey: String, apiSecret: String) {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
    }
}

public enum OrderType: String, Sendable, Codable {
    case market = "MARKET"
    case limit = "LIMIT"
}

/// An order as SignalDesk asks for it. `clientOrderID` is derived from the signal id, so asking
/// twice (a retry, a restarted worker) names the same order.
public struct OrderRequest: Sendable, Equatable {
    public let symbol: String
    public let side: TradeSide
    public let qty: Double
    public let type: OrderType
    public let price: Double?
    public let clientOrderID: String
    /// The order only reduces a position (an exit). dYdX refuses it when it would open or grow
    /// one; the other venues' spot and paper orders ignore it.
    public let reduceOnly: Bool

    public init(
        symbol: String, side: TradeSide, qty: Double, type: OrderType = .market, price: Double? = nil,
        clientOrderID: String, reduceOnly: Bool = false
    ) {
        self.symbol = symbol
        self.side = side
        self.qty = qty
        self.type = type
        self.price = price
        self.clientOrderID = clientOrderID
        self.reduceOnly = reduceOnly
    }
}

public enum OrderStatus: String, Sendable, Codable {
    case new = "NEW"
    case partiallyFilled = "PARTIALLY_FILLED"
    case filled = "FILLED"
    case canceled = "CANCELED"
    case rejected = "REJECTED"
    case expired = "EXPIRED"
}

/// What a venue says about an order.
public struct OrderResult: Sendable, Equatable {
    public let clientOrderID: String
    public let venueOrderID: String?
    public let status: OrderStatus
    public let filledQty: Double
    public let averagePrice: Double?
    /// Fees charged, in quote currency, when the venue reports them.
    public let fees: Double

    public init(
        clientOrderID: String, venueOrderID: String?, status: OrderStatus, filledQty: Double, averagePrice: Double?,
        fees: Double = 0
    ) {
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.status = status
        self.filledQty = filledQty
        self.averagePrice = averagePrice
        self.fees = fees
    }
}

/// The answer of a test order: which mode ran and, for IBKR, the order reference.
public struct TestOrderResult: Sendable, Equatable {
    public let mode: String
    public let orderRef: String?

    public init(mode: String, orderRef: String? = nil) {
        self.mode = mode
        self.orderRef = orderRef
    }
}

/// Why a venue call failed. `outcomeUnknown` tells whether the order may exist anyway.
public enum VenueError: Error, Equatable, Sendable {
    /// The venue refused the request (4xx, or an error envelope): nothing was placed.
    case rejected(status: Int, code: String?, body: String)
    /// The venue failed (5xx): the order may or may not exist.
    case unavailable(status: Int, body: String)
    /// No answer in time: the order may or may not exist.
    case timeout
    /// The request did not get through (connection refused, DNS, TLS).
    case transport(String)
    /// Too many recent failures: calls are refused without contacting the venue.
    case circuitOpen(venue: String)
    /// Refused locally before any call (bad symbol, quantity, credentials format).
    case invalid(String)

    /// True when the venue may have acted on the request even though we did not get an answer.
    public var outcomeUnknown: Bool {
        switch self {
        case .unavailable, .timeout: true
        case .rejected, .transport, .circuitOpen, .invalid: false
        }
    }

    /// Whether this failure says something about the venue's health (for the circuit breaker).
    public var countsAgainstVenue: Bool {
        switch self {
        case .unavailable, .timeout, .transport: true
        case .rejected(let status, _, _): status == 429 || status == 418
        case .circuitOpen, .invalid: false
        }
    }
}

/// An exchange SignalDesk can trade on.
public protocol Venue: Sendable {
    /// `BINANCE`, `BYBIT`, `IBKR` or `PAPER`.
    var name: String { get }
    func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> OrderResult
    /// The order with this client id, or nil when the venue does not know it.
    func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials) async throws(VenueError)
        -> OrderResult?
    func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials) async throws(VenueError)
    /// Validates an order with the venue without placing it.
    func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> TestOrderResult
}
