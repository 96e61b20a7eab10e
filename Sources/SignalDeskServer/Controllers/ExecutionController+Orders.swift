import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

extension ExecutionController {
    struct OrderBody: Content {
        let exchange: String?
        let symbol: String
        let side: String
        let qty: Double
    }

    struct PrepareAnswer: Content {
        let mode: String
        let exchange: Exchange
        let symbol: String
        let side: String
        let qty: Double
        let apiKeyMasked: String
        let signaturePreview: String
    }

    /// Validates the order body, the exchange assignment and the credentials. `venueValidates`:
    /// symbol and qty are left to the venue, whose refusal is the answer (IBKR's test order:
    /// contract.md gives 502 `IBKR test order failed: ...` for qty ≤ 0 or a symbol that is not
    /// alphanumeric).
    static func orderContext(_ req: Request, exchange: Exchange, body: OrderBody, venueValidates: Bool = false)
        async throws
        -> (caller: AuthenticatedUser, symbol: String, side: TradeSide, credentials: VenueCredentials, masked: String)
    {
        let caller = try req.caller
        guard exchange.usesAPIKeys else {
            // A dYdX order is signed with the wallet's key: there is no API secret to preview
            // or test with (the worker places DYDX orders; docs/dydx.md).
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["body", "exchange"],
                        msg: "exchange must be BINANCE, IBKR or BYBIT (DYDX orders are signed with the wallet key)",
                        type: "enum")
                ])
        }
        let symbol =
            venueValidates ? body.symbol.trimmingCharacters(in: .whitespaces).uppercased() : try symbol(body.symbol)
        let side = try side(body.side)
        if !venueValidates { try positive(body.qty, "qty") }
        let strategy = try await EffectiveStrategy.load(userID: caller.id, exchange: exchange, on: req.db)
        try await requireEnabled(exchange, strategy: strategy, caller: caller, on: req.db)
        guard
            let (credentials, masked) = try await ExchangeCredentials.load(
                userID: caller.id, exchange: exchange, keyRing: req.application.appConfig.keyRing, on: req.db)
        else { throw APIError(.badRequest, "Missing credentials for \(exchange.rawValue)") }
        return (caller, symbol, side, credentials, masked)
    }

    @Sendable static func prepare(req: Request) async throws -> PrepareAnswer {
        let body = try req.content.decode(OrderBody.self)
        guard let exchange = body.exchange.flatMap(Exchange.init(parsing:)) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["body", "exchange"], msg: "exchange must be BINANCE, IBKR or BYBIT", type: "enum")])
        }
        let context = try await orderContext(req, exchange: exchange, body: body)
        let preview = SignaturePreview.preview(
            apiSecret: context.credentials.apiSecret, exchange: exchange, symbol: context.symbol,
            side: context.side.orderWord, qty: body.qty)
        try await AuditLog.record(
            AuditAction.executionPrepare, userID: context.caller.id, entityType: "exchange",
            entityID: exchange.rawValue,
            details: [
                "exchange": .string(exchange.rawValue), "symbol": .string(context.symbol),
                "side": .string(context.side.orderWord),
                "qty": .double(body.qty),
            ], on: req.db)
        return PrepareAnswer(
            mode: "dry_run", exchange: exchange, symbol: context.symbol, side: context.side.orderWord, qty: body.qty,
            apiKeyMasked: context.masked, signaturePreview: preview)
    }

    struct TestOrderAnswer: Content {
        let exchange: Exchange
        let mode: String
        let symbol: String
        let side: String
        let qty: Double
        let sent: Bool
        let orderRef: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(exchange, forKey: .exchange)
            try container.encode(mode, forKey: .mode)
            try container.encode(symbol, forKey: .symbol)
            try container.encode(side, forKey: .side)
            try container.encode(qty, forKey: .qty)
            try container.encode(sent, forKey: .sent)
            // Only IBKR answers carry an order reference.
            try container.encodeIfPresent(orderRef, forKey: .orderRef)
        }
    }

    /// Why a test order was not sent, as the venue answered (the text contract.md gives).
    struct TestOrderFailure: Error {
        let message: String
    }

    /// Sends a test order to `exchange`'s venue and audits the outcome
    /// (`execution.{venue}.test_order.success|error`); shared with auto-pick.
    static func placeTestOrder(
        _ req: Request, exchange: Exchange, caller: AuthenticatedUser, symbol: String, side: TradeSide, qty: Double,
        credentials: VenueCredentials
    ) async throws -> Result<TestOrderAnswer, TestOrderFailure> {
        let clientID = "sdtest-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let order = OrderRequest(symbol: symbol, side: side, qty: qty, clientOrderID: clientID)
        let venue = req.application.venues.venue(for: exchange)
        let outcome: Result<TestOrderResult, VenueError>
        do {
            outcome = .success(try await venue.testOrder(order, credentials: credentials))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let result):
            try await AuditLog.record(
                AuditAction.testOrder(exchange, succeeded: true), userID: caller.id, entityType: "exchange",
                entityID: exchange.rawValue,
                details: [
                    "symbol": .string(symbol), "side": .string(side.orderWord),
                    "qty": .double(qty),
                    "mode": .string(result.mode), "order_ref": result.orderRef.map(AuditValue.string) ?? .null,
                ], on: req.db)
            return .success(
                TestOrderAnswer(
                    exchange: exchange, mode: result.mode, symbol: symbol, side: side.orderWord, qty: qty, sent: true,
                    orderRef: result.orderRef))
        case .failure(let error):
            let message = VenueFailureText.describe(
                error, exchange: exchange, credentials: credentials,
                timeout: req.application.appConfig.venueTimeoutSeconds)
            try await AuditLog.record(
                AuditAction.testOrder(exchange, succeeded: false), userID: caller.id, entityType: "exchange",
                entityID: exchange.rawValue,
                details: ["symbol": .string(symbol), "error": .string(message)], on: req.db)
            return .failure(TestOrderFailure(message: message))
        }
    }

    @Sendable static func testOrder(req: Request) async throws -> TestOrderAnswer {
        let exchange = try exchange(req)
        let body = try req.content.decode(OrderBody.self)
        let context = try await orderContext(req, exchange: exchange, body: body, venueValidates: exchange == .ibkr)
        switch try await placeTestOrder(
            req, exchange: exchange, caller: context.caller, symbol: context.symbol, side: context.side, qty: body.qty,
            credentials: context.credentials)
        {
        case .success(let answer): return answer
        case .failure(let failure): throw APIError(.badGateway, failure.message)
        }
    }
}
