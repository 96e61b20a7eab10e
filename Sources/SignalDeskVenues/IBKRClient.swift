import Foundation
import NIOHTTP1
import SignalDeskCore

/// IBKR paper trading through an HTTP bridge in front of TWS / IB Gateway, or simulated when no
/// bridge is configured. Bridge requests carry `X-API-KEY` and `X-SIGNATURE`, the hex
/// HMAC-SHA256 of the raw body under the API secret.
public struct IBKRClient: Venue {
    public let name = "IBKR"
    let bridgeURL: String?
    let transport: HTTPTransport
    let simulator: PaperVenue

    public init(bridgeURL: String?, transport: HTTPTransport, simulator: PaperVenue) {
        self.bridgeURL = bridgeURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.transport = transport
        self.simulator = simulator
    }

    /// The local checks every IBKR test order passes first.
    public static func validate(_ order: OrderRequest, credentials: VenueCredentials) throws(VenueError) {
        guard credentials.apiKey.count >= 8, credentials.apiSecret.count >= 8 else {
            throw .invalid("API key and secret must be at least 8 characters")
        }
        guard !order.symbol.isEmpty, order.symbol.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalid("symbol must be alphanumeric")
        }
        guard order.qty.isFinite, order.qty > 0 else { throw .invalid("qty must be greater than 0") }
    }

    private func bridge(_ method: HTTPMethod, _ path: String, body: String?, _ credentials: VenueCredentials)
        async throws(VenueError) -> [String: Any]
    {
        guard let bridgeURL else { throw .invalid("no IBKR bridge configured") }
        let payload = body ?? ""
        let headers = [
            ("X-API-KEY", credentials.apiKey),
            ("X-SIGNATURE", RequestSigning.hmacSHA256Hex(secret: credentials.apiSecret, payload: payload)),
            ("Content-Type", "application/json"),
        ]
        let answer = try await transport.send(
            method, bridgeURL + path, headers: headers, body: body, retries: method == .GET ? 2 : 0)
        guard (200..<300).contains(answer.status) else {
            throw .rejected(status: answer.status, code: nil, body: answer.body)
        }
        return (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]) ?? [:]
    }

    static func body(_ order: OrderRequest) -> String {
        #"{"symbol":"\#(order.symbol)","side":"\#(order.side.orderWord)","qty":\#(DecimalText.format(order.qty)),"order_ref":"\#(order.clientOrderID)","type":"\#(order.type.rawValue)"}"#
    }

    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        try Self.validate(order, credentials: credentials)
        guard bridgeURL != nil else {
            return TestOrderResult(mode: "paper_simulated_test", orderRef: order.clientOrderID)
        }
        _ = try await bridge(.POST, "/ibkr/paper/test-order", body: Self.body(order), credentials)
        return TestOrderResult(mode: "paper_bridge_test", orderRef: order.clientOrderID)
    }

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> OrderResult
    {
        guard bridgeURL != nil else { return try await simulator.placeOrder(order, credentials: credentials) }
        return Self.parse(
            try await bridge(.POST, "/ibkr/paper/order", body: Self.body(order), credentials),
            clientOrderID: order.clientOrderID)
    }

    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        guard bridgeURL != nil else {
            return try await simulator.queryOrder(
                clientOrderID: clientOrderID, symbol: symbol, credentials: credentials)
        }
        do {
            return Self.parse(
                try await bridge(
                    .GET, "/ibkr/paper/order/\(QueryString.encode(clientOrderID))", body: nil, credentials),
                clientOrderID: clientOrderID)
        } catch .rejected(404, _, _) {
            return nil
        }
    }

    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        guard bridgeURL != nil else {
            return try await simulator.cancelOrder(
                clientOrderID: clientOrderID, symbol: symbol, credentials: credentials)
        }
        _ = try await bridge(.DELETE, "/ibkr/paper/order/\(QueryString.encode(clientOrderID))", body: nil, credentials)
    }

    static func parse(_ object: [String: Any], clientOrderID: String) -> OrderResult {
        OrderResult(
            clientOrderID: clientOrderID, venueOrderID: object["order_id"].map { "\($0)" },
            status: OrderStatus(rawValue: (object["status"] as? String ?? "").uppercased()) ?? .new,
            filledQty: (object["filled_qty"] as? Double) ?? 0, averagePrice: object["avg_price"] as? Double)
    }
}
