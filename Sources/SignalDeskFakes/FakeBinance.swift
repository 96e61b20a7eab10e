import Foundation
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// A stand-in for Binance spot testnet that checks requests the way Binance does: a known
/// `X-MBX-APIKEY`, `signature` last and equal to the HMAC-SHA256 of the exact query (plus body),
/// `timestamp` within `recvWindow` (`timestamp < serverTime + 1000` and
/// `serverTime - timestamp <= recvWindow`, at most 60000).
public enum FakeBinance {
    enum Verified {
        case ok([String: String])
        case refused(Response)
    }

    public static let symbols: Set<String> = ["BTCUSDT", "ETHUSDT", "LTCBTC", "SOLUSDT", "AVAXUSDT"]

    public static func start(accounts: [String: String], book: FakeOrderBook = FakeOrderBook()) async throws
        -> FakeServer
    {
        try await FakeServer.start { app, context in
            @Sendable func error(_ status: HTTPResponseStatus, _ code: Int, _ message: String) -> Response {
                Response(
                    status: status, headers: ["Content-Type": "application/json"],
                    body: .init(string: #"{"code":\#(code),"msg":"\#(message)"}"#))
            }

            /// Verifies key, signature and time; returns the decoded parameters or an error answer.
            @Sendable func verify(_ req: Request) -> Verified {
                guard let key = req.headers.first(name: "X-MBX-APIKEY"), let secret = accounts[key] else {
                    return .refused(error(.unauthorized, -2015, "Invalid API-key, IP, or permissions for action."))
                }
                let query = req.url.query ?? ""
                guard let range = query.range(of: "&signature=", options: .backwards) else {
                    return .refused(
                        error(
                            .badRequest, -1102,
                            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."))
                }
                let signed = String(query[..<range.lowerBound])
                let signature = String(query[range.upperBound...])
                let payload = signed + (req.body.string ?? "")
                guard RequestSigning.hmacSHA256Hex(secret: secret, payload: payload) == signature else {
                    return .refused(error(.badRequest, -1022, "Signature for this request is not valid."))
                }
                var params: [String: String] = [:]
                for pair in signed.split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map {
                        String($0).removingPercentEncoding ?? String($0)
                    }
                    if parts.count == 2 { params[parts[0]] = parts[1] }
                }
                guard let timestamp = params["timestamp"].flatMap(Int64.init) else {
                    return .refused(
                        error(
                            .badRequest, -1102,
                            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."))
                }
                let window = params["recvWindow"].flatMap(Int64.init) ?? 5000
                guard window <= 60_000 else {
                    return .refused(error(.badRequest, -1131, "recvWindow must be less than 60000"))
                }
                let serverTime = Int64(Date().timeIntervalSince1970 * 1000)
                guard timestamp < serverTime + 1000, serverTime - timestamp <= window else {
                    return .refused(
                        error(.badRequest, -1021, "Timestamp for this request is outside of the recvWindow."))
                }
                return .ok(params)
            }

            @Sendable func orderJSON(_ order: FakeOrderBook.Order) -> String {
                let qty = DecimalText.format(order.qty)
                let quote = DecimalText.format(order.qty * order.price)
                return
                    #"{"symbol":"\#(order.symbol)","orderId":\#(order.orderID),"clientOrderId":"\#(order.clientOrderID)","transactTime":\#(Int64(Date().timeIntervalSince1970 * 1000)),"price":"0.00000000","origQty":"\#(qty)","executedQty":"\#(qty)","cummulativeQuoteQty":"\#(quote)","status":"\#(order.status)","type":"MARKET","side":"\#(order.side)"}"#
            }

            @Sendable func handle(_ req: Request, accepting: Bool, _ body: ([String: String]) -> Response) async
                -> Response
            {
                guard let server = context.current else { return error(.serviceUnavailable, -1001, "starting") }
                return await server.handle(req, accepting: accepting) {
                    switch verify(req) {
                    case .ok(let params): body(params)
                    case .refused(let response): response
                    }
                }
            }

            @Sendable func validateOrder(_ params: [String: String]) -> Response? {
                guard let symbol = params["symbol"], symbols.contains(symbol) else {
                    return error(.badRequest, -1121, "Invalid symbol.")
                }
                guard let side = params["side"], ["BUY", "SELL"].contains(side) else {
                    return error(.badRequest, -1100, "Illegal characters found in parameter 'side'.")
                }
                guard let qty = params["quantity"].flatMap(Double.init), qty > 0 else {
                    return error(.badRequest, -1013, "Filter failure: LOT_SIZE")
                }
                return nil
            }

            app.post("api", "v3", "order", "test") { req async -> Response in
                await handle(req, accepting: false) { params in
                    validateOrder(params)
                        ?? Response(
                            status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: "{}"))
                }
            }
            app.post("api", "v3", "order") { req async -> Response in
                await handle(req, accepting: true) { params in
                    if let invalid = validateOrder(params) { return invalid }
                    guard let clientID = params["newClientOrderId"],
                        let order = book.accept(
                            clientOrderID: clientID, symbol: params["symbol"]!, side: params["side"]!,
                            qty: Double(params["quantity"]!)!)
                    else { return error(.badRequest, -2010, "Duplicate order sent.") }
                    return Response(
                        status: .ok, headers: ["Content-Type": "application/json"],
                        body: .init(string: orderJSON(order)))
                }
            }
            app.get("api", "v3", "order") { req async -> Response in
                await handle(req, accepting: false) { params in
                    guard let order = params["origClientOrderId"].flatMap(book.order) else {
                        return error(.badRequest, -2013, "Order does not exist.")
                    }
                    return Response(
                        status: .ok, headers: ["Content-Type": "application/json"],
                        body: .init(string: orderJSON(order)))
                }
            }
            // Not Binance: what the fake holds, for the checks that run it as a process
            // (`signaldesk-fakes`), which cannot look into its memory.
            app.get("fake", "orders") { _ async -> Response in
                let attempts = book.placementAttempts
                let body =
                    #"{"orders":\#(book.all.count),"attempts":\#(attempts.values.reduce(0, +)),"#
                    + #""client_ids_sent_twice":\#(attempts.values.filter { $0 > 1 }.count)}"#
                return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: body))
            }
            app.delete("api", "v3", "order") { req async -> Response in
                await handle(req, accepting: false) { params in
                    guard let id = params["origClientOrderId"], book.cancel(id), let order = book.order(id) else {
                        return error(.badRequest, -2011, "Unknown order sent.")
                    }
                    return Response(
                        status: .ok, headers: ["Content-Type": "application/json"],
                        body: .init(string: orderJSON(order)))
                }
            }
        }
    }
}
