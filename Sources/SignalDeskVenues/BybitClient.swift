import Foundation
import NIOHTTP1
import SignalDeskCore

/// Bybit v5 (testnet by default). Signed requests carry `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms),
/// `X-BAPI-RECV-WINDOW` and `X-BAPI-SIGN`, the lower-case hex HMAC-SHA256 of
/// `timestamp + apiKey + recvWindow + payload` (payload: the query string of a GET, the raw JSON
/// body of a POST). Answers are `{"retCode":0,...}`; any other retCode is an error even with HTTP 200.
public struct BybitClient: Venue {
    public let name = "BYBIT"
    let baseURL: String
    let transport: HTTPTransport
    let recvWindow: Int
    let category: String
    let now: @Sendable () -> Date

    public init(
        baseURL: String, transport: HTTPTransport, recvWindow: Int = 5000, category: String = "spot",
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
        self.recvWindow = recvWindow
        self.category = category
        self.now = now
    }

    /// The string Bybit signs.
    public static func stringToSign(timestamp: String, apiKey: String, recvWindow: String, payload: String) -> String {
        timestamp + apiKey + recvWindow + payload
    }

    func headers(payload: String, credentials: VenueCredentials) -> [(String, String)] {
        let timestamp = String(Int64((now().timeIntervalSince1970 * 1000).rounded(.down)))
        let window = String(recvWindow)
        let signature = RequestSigning.hmacSHA256Hex(
            secret: credentials.apiSecret,
            payload: Self.stringToSign(
                timestamp: timestamp, apiKey: credentials.apiKey, recvWindow: window, payload: payload))
        return [
            ("X-BAPI-API-KEY", credentials.apiKey), ("X-BAPI-TIMESTAMP", timestamp), ("X-BAPI-RECV-WINDOW", window),
            ("X-BAPI-SIGN", signature), ("X-BAPI-SIGN-TYPE", "2"), ("Content-Type", "application/json"),
        ]
    }

    private func result(_ answer: HTTPTransport.Answer) throws(VenueError) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] else {
            throw .rejected(status: answer.status, code: nil, body: answer.body)
        }
        let code = (object["retCode"] as? Int) ?? -1
        guard (200..<300).contains(answer.status), code == 0 else {
            throw .rejected(status: answer.status, code: String(code), body: answer.body)
        }
        return object["result"] as? [String: Any] ?? [:]
    }

    func post(_ path: String, _ body: [String: String], _ credentials: VenueCredentials) async throws(VenueError)
        -> [String: Any]
    {
        let json = Self.json(body)
        let answer = try await transport.send(
            .POST, baseURL + path, headers: headers(payload: json, credentials: credentials), body: json)
        return try result(answer)
    }

    func get(_ path: String, _ query: QueryString, _ credentials: VenueCredentials?) async throws(VenueError)
        -> [String: Any]
    {
        let encoded = query.encoded
        let signed = credentials.map { self.headers(payload: encoded, credentials: $0) } ?? []
        let answer = try await transport.send(.GET, "\(baseURL)\(path)?\(encoded)", headers: signed, retries: 2)
        return try result(answer)
    }

    /// Compact JSON with keys in the order given, so the signed body is the body sent.
    static func json(_ fields: [String: String]) -> String {
        let ordered = ["category", "symbol", "side", "orderType", "qty", "price", "timeInForce", "orderLinkId"]
        let keys = ordered.filter { fields[$0] != nil } + fields.keys.filter { !ordered.contains($0) }.sorted()
        let members = keys.map { key in "\(quote(key)):\(quote(fields[key]!))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    private static func quote(_ text: String) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]))
            ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }

    func orderBody(_ order: OrderRequest) -> [String: String] {
        var body = [
            "category": category, "symbol": order.symbol, "side": order.side == .long ? "Buy" : "Sell",
            "orderType": order.type == .market ? "Market" : "Limit", "qty": DecimalText.format(order.qty),
            "orderLinkId": order.clientOrderID,
        ]
        if order.type == .limit, let price = order.price {
            body["price"] = DecimalText.format(price)
            body["timeInForce"] = "GTC"
        }
        return body
    }

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> OrderResult
    {
        let result = try await post("/v5/order/create", orderBody(order), credentials)
        return OrderResult(
            clientOrderID: order.clientOrderID, venueOrderID: result["orderId"] as? String, status: .new,
            filledQty: 0, averagePrice: nil)
    }

    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        let result = try await get(
            "/v5/order/realtime",
            QueryString([("category", category), ("symbol", symbol), ("orderLinkId", clientOrderID)]), credentials)
        guard let order = (result["list"] as? [[String: Any]])?.first else { return nil }
        let status: OrderStatus =
            switch order["orderStatus"] as? String {
            case "Filled": .filled
            case "PartiallyFilled": .partiallyFilled
            case "Cancelled", "PartiallyFilledCanceled": .canceled
            case "Rejected": .rejected
            case "Deactivated": .expired
            default: .new
            }
        let filled = Double(order["cumExecQty"] as? String ?? "") ?? 0
        return OrderResult(
            clientOrderID: clientOrderID, venueOrderID: order["orderId"] as? String, status: status,
            filledQty: filled, averagePrice: Double(order["avgPrice"] as? String ?? ""),
            fees: Double(order["cumExecFee"] as? String ?? "") ?? 0)
    }

    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        _ = try await post(
            "/v5/order/cancel", ["category": category, "symbol": symbol, "orderLinkId": clientOrderID], credentials)
    }

    /// Bybit v5 has no test-order endpoint. Validation without placing anything: the instrument
    /// must exist and accept the quantity (public instruments-info), and the credentials must sign
    /// a private read (wallet balance).
    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        let instruments = try await get(
            "/v5/market/instruments-info", QueryString([("category", category), ("symbol", order.symbol)]), nil)
        guard let instrument = (instruments["list"] as? [[String: Any]])?.first else {
            throw .rejected(
                status: 200, code: "symbol", body: "Bybit does not list \(order.symbol) in category \(category)")
        }
        let lot = instrument["lotSizeFilter"] as? [String: Any]
        if let minimum = Double(lot?["minOrderQty"] as? String ?? ""), order.qty < minimum {
            throw .rejected(
                status: 200, code: "qty",
                body: "qty \(DecimalText.format(order.qty)) is below the minimum \(DecimalText.format(minimum))")
        }
        _ = try await get("/v5/account/wallet-balance", QueryString([("accountType", "UNIFIED")]), credentials)
        return TestOrderResult(mode: "testnet_order_validate")
    }
}
