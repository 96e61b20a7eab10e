import Foundation
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// A stand-in for the IBKR paper bridge: `X-API-KEY` must be known and `X-SIGNATURE` the hex
/// HMAC-SHA256 of the raw body under its secret (empty body for GET and DELETE).
public enum FakeIBKRBridge {
    public static func start(accounts: [String: String], book: FakeOrderBook = FakeOrderBook()) async throws
        -> FakeServer
    {
        try await FakeServer.start { app, context in
            @Sendable func answer(_ status: HTTPResponseStatus, _ json: String) -> Response {
                Response(status: status, headers: ["Content-Type": "application/json"], body: .init(string: json))
            }

            @Sendable func verify(_ req: Request) -> Response? {
                guard let key = req.headers.first(name: "X-API-KEY"), let secret = accounts[key] else {
                    return answer(.unauthorized, #"{"detail":"unknown api key"}"#)
                }
                let expected = RequestSigning.hmacSHA256Hex(secret: secret, payload: req.body.string ?? "")
                return req.headers.first(name: "X-SIGNATURE") == expected
                    ? nil : answer(.unauthorized, #"{"detail":"invalid signature"}"#)
            }

            @Sendable func signed(_ req: Request, accepting: Bool, _ body: () -> Response) async -> Response {
                guard let server = context.current else { return answer(.serviceUnavailable, "{}") }
                return await server.handle(req, accepting: accepting) { verify(req) ?? body() }
            }

            @Sendable func body(_ req: Request) -> [String: Any] {
                (try? JSONSerialization.jsonObject(with: Data((req.body.string ?? "").utf8)) as? [String: Any]) ?? [:]
            }

            @Sendable func orderJSON(_ order: FakeOrderBook.Order) -> String {
                #"{"order_id":\#(order.orderID),"order_ref":"\#(order.clientOrderID)","status":"\#(order.status)","filled_qty":\#(order.qty),"avg_price":\#(order.price)}"#
            }

            app.post("ibkr", "paper", "test-order") { req async -> Response in
                await signed(req, accepting: false) {
                    let fields = body(req)
                    guard fields["symbol"] is String, fields["order_ref"] is String else {
                        return answer(.badRequest, #"{"detail":"symbol and order_ref required"}"#)
                    }
                    return answer(.ok, #"{"ok":true,"order_ref":"\#(fields["order_ref"]!)"}"#)
                }
            }
            app.post("ibkr", "paper", "order") { req async -> Response in
                await signed(req, accepting: true) {
                    let fields = body(req)
                    guard let symbol = fields["symbol"] as? String, let ref = fields["order_ref"] as? String,
                        let qty = fields["qty"] as? Double,
                        let order = book.accept(
                            clientOrderID: ref, symbol: symbol, side: fields["side"] as? String ?? "", qty: qty)
                    else { return answer(.conflict, #"{"detail":"duplicate or invalid order"}"#) }
                    return answer(.ok, orderJSON(order))
                }
            }
            app.get("ibkr", "paper", "order", ":ref") { req async -> Response in
                await signed(req, accepting: false) {
                    guard let order = req.parameters.get("ref").flatMap(book.order) else {
                        return answer(.notFound, #"{"detail":"not found"}"#)
                    }
                    return answer(.ok, orderJSON(order))
                }
            }
            app.delete("ibkr", "paper", "order", ":ref") { req async -> Response in
                await signed(req, accepting: false) {
                    guard let ref = req.parameters.get("ref"), book.cancel(ref), let order = book.order(ref) else {
                        return answer(.notFound, #"{"detail":"not found"}"#)
                    }
                    return answer(.ok, orderJSON(order))
                }
            }
        }
    }
}
