import Foundation
import NIOHTTP1
import SignalDeskCore

/// Binance spot REST (testnet by default). Signed endpoints: every parameter in the query string,
/// `recvWindow` and `timestamp` (ms) last before `signature`, the lower-case hex HMAC-SHA256 of
/// the exact encoded query under the API secret; the key in `X-MBX-APIKEY`.
public struct BinanceClient: Venue {
    public let name = "BINANCE"
    let baseURL: String
    let transport: HTTPTransport
    let recvWindow: Int
    let now: @Sendable () -> Date

    public init(
        baseURL: String, transport: HTTPTransport, recvWindow: Int = 5000,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
        self.recvWindow = recvWindow
        self.now = now
    }

    /// The signed query: `params&recvWindow=..&timestamp=..&signature=..`.
    public func signedQuery(_ params: QueryString, secret: String) -> String {
        var query = params
        query.append("recvWindow", String(recvWindow))
        query.append("timestamp", String(Int64((now().timeIntervalSince1970 * 1000).rounded(.down))))
        let payload = query.encoded
        return payload + "&signature=" + RequestSigning.hmacSHA256Hex(secret: secret, payload: payload)
    }

    func orderParams(_ order: OrderRequest, clientIDKey: String = "newClientOrderId") -> QueryString {
        var params = QueryString([
            ("symbol", order.symbol), ("side", order.side.orderWord), ("type", order.type.rawValue),
        ])
        params.append("quantity", DecimalText.format(order.qty))
        if order.type == .limit, let price = order.price {
            params.append("timeInForce", "GTC")
            params.append("price", DecimalText.format(price))
        }
        params.append(clientIDKey, order.clientOrderID)
        return params
    }

    private func call(
        _ method: HTTPMethod, _ path: String, _ params: QueryString, _ credentials: VenueCredentials, retries: Int = 0
    ) async throws(VenueError) -> HTTPTransport.Answer {
        let url = "\(baseURL)\(path)?\(signedQuery(params, secret: credentials.apiSecret))"
        let answer = try await transport.send(
            method, url, headers: [("X-MBX-APIKEY", credentials.apiKey)], retries: retries)
        guard (200..<300).contains(answer.status) else {
            throw .rejected(status: answer.status, code: BinanceError.code(in: answer.body), body: answer.body)
        }
        return answer
    }

    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        _ = try await call(.POST, "/api/v3/order/test", orderParams(order), credentials)
        return TestOrderResult(mode: "testnet_order_test")
    }

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> OrderResult
    {
        var params = orderParams(order)
        params.append("newOrderRespType", "FULL")
        let answer = try await call(.POST, "/api/v3/order", params, credentials)
        return try BinanceOrder.parse(answer.body, clientOrderID: order.clientOrderID)
    }

    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        do {
            let answer = try await call(
                .GET, "/api/v3/order", QueryString([("symbol", symbol), ("origClientOrderId", clientOrderID)]),
                credentials, retries: 2)
            return try BinanceOrder.parse(answer.body, clientOrderID: clientOrderID)
        } catch .rejected(_, "-2013"?, _) {
            return nil  // "Order does not exist."
        }
    }

    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        _ = try await call(
            .DELETE, "/api/v3/order", QueryString([("symbol", symbol), ("origClientOrderId", clientOrderID)]),
            credentials)
    }
}

enum BinanceError {
    /// The `code` of a Binance error body `{"code":-1121,"msg":"..."}`.
    static func code(in body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let code = object["code"] as? Int
        else { return nil }
        return String(code)
    }
}

enum BinanceOrder {
    static func parse(_ body: String, clientOrderID: String) throws(VenueError) -> OrderResult {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw .unavailable(status: 200, body: "unreadable order answer")
        }
        let executed = Double(object["executedQty"] as? String ?? "") ?? 0
        let quote = Double(object["cummulativeQuoteQty"] as? String ?? "") ?? 0
        let status = OrderStatus(rawValue: object["status"] as? String ?? "") ?? .new
        let orderID = (object["orderId"] as? Int).map(String.init)
        return OrderResult(
            clientOrderID: clientOrderID, venueOrderID: orderID, status: status, filledQty: executed,
            averagePrice: executed > 0 ? quote / executed : nil)
    }
}
