import Foundation
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// A stand-in for Bybit v5 testnet that checks requests the way Bybit does: a known
/// `X-BAPI-API-KEY`, `X-BAPI-SIGN` equal to HMAC-SHA256(secret, timestamp + key + recvWindow +
/// payload) with the raw query (GET) or raw body (POST) as payload, and
/// `server_time - recv_window <= timestamp < server_time + 1000`. Errors use the retCode envelope.
public enum FakeBybit {
    public static let symbols: [String: String] = ["BTCUSDT": "0.000048", "ETHUSDT": "0.00062", "SOLUSDT": "0.01"]

    public static func start(accounts: [String: String], book: FakeOrderBook = FakeOrderBook()) async throws
        -> FakeServer
    {
        try await FakeServer.start { app, context in
            @Sendable func envelope(_ code: Int, _ rawMessage: String, result: String = "{}") -> Response {
                let message = rawMessage.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                    of: "\"", with: "\\\"")
                return Response(
                    status: .ok, headers: ["Content-Type": "application/json"],
                    body: .init(
                        string:
                            #"{"retCode":\#(code),"retMsg":"\#(message)","result":\#(result),"retExtInfo":{},"time":\#(Int64(Date().timeIntervalSince1970 * 1000))}"#
                    ))
            }

            @Sendable func verify(_ req: Request, payload: String) -> Response? {
                guard let key = req.headers.first(name: "X-BAPI-API-KEY"), let secret = accounts[key] else {
                    return envelope(10003, "API key is invalid.")
                }
                guard let timestamp = req.headers.first(name: "X-BAPI-TIMESTAMP"), let ts = Int64(timestamp),
                    let window = req.headers.first(name: "X-BAPI-RECV-WINDOW"), let recv = Int64(window),
                    let sign = req.headers.first(name: "X-BAPI-SIGN")
                else { return envelope(10001, "missing auth headers") }
                let serverTime = Int64(Date().timeIntervalSince1970 * 1000)
                guard serverTime - recv <= ts, ts < serverTime + 1000 else {
                    return envelope(10002, "invalid request, please check your server timestamp or recv_window param")
                }
                let expected = RequestSigning.hmacSHA256Hex(
                    secret: secret,
                    payload: BybitClient.stringToSign(
                        timestamp: timestamp, apiKey: key, recvWindow: window, payload: payload))
                return expected == sign
                    ? nil : envelope(10004, "error sign! origin_string[\(timestamp + key + window + payload)]")
            }

            @Sendable func json(_ req: Request) -> [String: Any] {
                (try? JSONSerialization.jsonObject(with: Data((req.body.string ?? "").utf8)) as? [String: Any]) ?? [:]
            }

            @Sendable func orderJSON(_ order: FakeOrderBook.Order) -> String {
                let status = order.status == "CANCELED" ? "Cancelled" : "Filled"
                return
                    #"{"orderId":"\#(order.orderID)","orderLinkId":"\#(order.clientOrderID)","symbol":"\#(order.symbol)","side":"\#(order.side)","orderStatus":"\#(status)","cumExecQty":"\#(DecimalText.format(order.qty))","avgPrice":"\#(DecimalText.format(order.price))","cumExecFee":"0"}"#
            }

            @Sendable func signed(_ req: Request, accepting: Bool, payload: String, _ body: () -> Response) async
                -> Response
            {
                guard let server = context.current else { return envelope(10016, "starting") }
                return await server.handle(req, accepting: accepting) { verify(req, payload: payload) ?? body() }
            }

            app.post("v5", "order", "create") { req async -> Response in
                await signed(req, accepting: true, payload: req.body.string ?? "") {
                    let body = json(req)
                    guard let symbol = body["symbol"] as? String, symbols[symbol] != nil else {
                        return envelope(10001, "params error: symbol invalid")
                    }
                    guard let qty = Double(body["qty"] as? String ?? ""), qty > 0 else {
                        return envelope(10001, "params error: qty invalid")
                    }
                    guard let link = body["orderLinkId"] as? String,
                        let order = book.accept(
                            clientOrderID: link, symbol: symbol, side: body["side"] as? String ?? "", qty: qty)
                    else { return envelope(110072, "OrderLinkedID is duplicate") }
                    return envelope(0, "OK", result: #"{"orderId":"\#(order.orderID)","orderLinkId":"\#(link)"}"#)
                }
            }
            app.get("v5", "order", "realtime") { req async -> Response in
                await signed(req, accepting: false, payload: req.url.query ?? "") {
                    let link = (try? req.query.get(String.self, at: "orderLinkId")) ?? ""
                    let list = book.order(link).map { "[\(orderJSON($0))]" } ?? "[]"
                    return envelope(0, "OK", result: #"{"list":\#(list),"category":"spot"}"#)
                }
            }
            app.post("v5", "order", "cancel") { req async -> Response in
                await signed(req, accepting: false, payload: req.body.string ?? "") {
                    let link = json(req)["orderLinkId"] as? String ?? ""
                    return book.cancel(link)
                        ? envelope(0, "OK", result: #"{"orderLinkId":"\#(link)"}"#)
                        : envelope(110001, "order not exists or too late to cancel")
                }
            }
            app.get("v5", "account", "wallet-balance") { req async -> Response in
                await signed(req, accepting: false, payload: req.url.query ?? "") {
                    envelope(0, "OK", result: #"{"list":[{"accountType":"UNIFIED","totalEquity":"10000"}]}"#)
                }
            }
            app.get("v5", "market", "instruments-info") { req async -> Response in
                guard let server = context.current else { return envelope(10016, "starting") }
                return await server.handle(req, accepting: false) {
                    let symbol = (try? req.query.get(String.self, at: "symbol")) ?? ""
                    let list =
                        symbols[symbol].map {
                            #"[{"symbol":"\#(symbol)","status":"Trading","lotSizeFilter":{"minOrderQty":"\#($0)","basePrecision":"0.000001"}}]"#
                        } ?? "[]"
                    return envelope(0, "OK", result: #"{"category":"spot","list":\#(list)}"#)
                }
            }
        }
    }
}
