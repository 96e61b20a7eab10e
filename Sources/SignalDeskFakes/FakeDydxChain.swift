import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Vapor

/// A stand-in for a dYdX v4 node's REST API and indexer on one port (issue 23), behaving as the
/// real ones do for the calls SignalDesk makes:
/// - node: `GET /cosmos/auth/v1beta1/accounts/{address}` and `POST /cosmos/tx/v1beta1/txs`, which
///   decodes the transaction, verifies the secp256k1 signature over the SignDoc for its chain id
///   and the signer's account number against the public key in AuthInfo, checks the sequence and
///   that the signer owns the order's subaccount, refuses quantums/subticks that are not multiples
///   of the market's steps and a `good_til_block` outside the 20-block window, fills short-term
///   market orders at the oracle price (when the worst price allows it), keeps conditional
///   orders untriggered and cancels orders;
/// - indexer: `/v4/height`, `/v4/perpetualMarkets`, `/v4/addresses/{address}/subaccountNumber/0`,
///   `/v4/orders`, `/v4/fills`, from what the node accepted.
/// ``FakeServer/behavior`` applies to broadcasts only.
public final class FakeDydxChain: Sendable {
    /// An order the chain holds.
    public struct Order: Sendable, Equatable {
        public let id: String
        public let owner: String
        public let clientID: UInt32
        public let ticker: String
        public let flags: UInt32
        public let side: String
        public let size: Double
        public let price: Double
        public let reduceOnly: Bool
        public let conditionType: String?
        public let triggerPrice: Double?
        public var status: String
    }

    public struct Fill: Sendable, Equatable {
        public let id: String
        public let orderID: String
        public let clientID: UInt32
        public let ticker: String
        public let side: String
        public let size: Double
        public let price: Double
        public let fee: Double
    }

    /// A transaction the node accepted (code 0).
    public struct Accepted: Sendable {
        public let hash: String
        public let signer: String
        public let sequence: UInt64
        public let messages: [DydxTransaction.Message]
    }

    struct Account {
        var number: UInt64
        var sequence: UInt64
    }

    struct State {
        var height: UInt32 = 1000
        var markets: [String: DydxMarket]
        var accounts: [String: Account] = [:]
        var orders: [Order] = []
        var fills: [Fill] = []
        /// Signed size and entry price per (owner, ticker).
        var positions: [String: [String: (size: Double, entry: Double)]] = [:]
        var accepted: [Accepted] = []
        var broadcasts = 0
    }

    public let chainID: String
    let server: FakeServer
    private let state: NIOLockedValueBox<State>

    public var baseURL: String { server.baseURL }
    public var requests: [String] { server.requests }

    /// How the next broadcasts are answered (the reads always answer normally).
    public var behavior: FakeBehavior {
        get { server.behavior }
        set { server.behavior = newValue }
    }

    public var orders: [Order] { state.withLockedValue { $0.orders } }
    public var fills: [Fill] { state.withLockedValue { $0.fills } }
    public var accepted: [Accepted] { state.withLockedValue { $0.accepted } }
    /// Every `POST /cosmos/tx/v1beta1/txs`, accepted or not.
    public var broadcasts: Int { state.withLockedValue { $0.broadcasts } }

    public func position(owner: String, ticker: String) -> Double {
        state.withLockedValue { $0.positions[owner]?[ticker]?.size ?? 0 }
    }

    /// Moves the oracle price of `ticker`; untriggered TP/SL orders whose trigger it reaches fill
    /// at that price (reduce-only: at most the position's size, none when it is flat).
    public func setOraclePrice(_ ticker: String, _ price: Double) {
        state.withLockedValue { state in
            guard let market = state.markets[ticker] else { return }
            state.markets[ticker] = DydxMarket(
                ticker: market.ticker, clobPairID: market.clobPairID, atomicResolution: market.atomicResolution,
                quantumConversionExponent: market.quantumConversionExponent,
                stepBaseQuantums: market.stepBaseQuantums, subticksPerTick: market.subticksPerTick,
                oraclePrice: price)
            for index in state.orders.indices where state.orders[index].ticker == ticker {
                let order = state.orders[index]
                guard order.status == "UNTRIGGERED", let trigger = order.triggerPrice else { continue }
                // A SELL take-profit fires at or above its trigger, a SELL stop at or below; BUYs mirror.
                let above = (order.side == "SELL") == (order.conditionType == "TAKE_PROFIT")
                guard above ? price >= trigger : price <= trigger else { continue }
                let current = state.positions[order.owner]?[ticker] ?? (0, 0)
                let reduces = order.side == "SELL" ? current.size > 0 : current.size < 0
                guard reduces else {
                    state.orders[index].status = "CANCELED"
                    continue
                }
                let size = min(order.size, abs(current.size))
                state.orders[index].status = "FILLED"
                state.fills.append(
                    Fill(
                        id: UUID().uuidString.lowercased(), orderID: order.id, clientID: order.clientID,
                        ticker: ticker, side: order.side, size: size, price: price,
                        fee: (size * price * 0.0005 * 1e6).rounded() / 1e6))
                let remaining = current.size + (order.side == "SELL" ? -size : size)
                state.positions[order.owner, default: [:]][ticker] = (remaining, remaining == 0 ? 0 : current.entry)
            }
        }
    }

    /// The testnet's BTC-USD and ETH-USD parameters.
    public static let defaultMarkets: [DydxMarket] = [
        DydxMarket(
            ticker: "BTC-USD", clobPairID: 0, atomicResolution: -10, quantumConversionExponent: -9,
            stepBaseQuantums: 1_000_000, subticksPerTick: 100_000, oraclePrice: 60_000),
        DydxMarket(
            ticker: "ETH-USD", clobPairID: 1, atomicResolution: -9, quantumConversionExponent: -9,
            stepBaseQuantums: 1_000_000, subticksPerTick: 100_000, oraclePrice: 3_000),
    ]

    init(chainID: String, server: FakeServer, state: NIOLockedValueBox<State>) {
        self.chainID = chainID
        self.server = server
        self.state = state
    }

    public static func start(chainID: String = "dydx-testnet-4", markets: [DydxMarket] = defaultMarkets)
        async throws -> FakeDydxChain
    {
        let state = NIOLockedValueBox(
            State(markets: Dictionary(uniqueKeysWithValues: markets.map { ($0.ticker, $0) })))
        let server = try await FakeServer.start { app, context in
            Self.install(app, context: context, chainID: chainID, state: state)
        }
        return FakeDydxChain(chainID: chainID, server: server, state: state)
    }

    public func shutdown() async { await server.shutdown() }

    // MARK: routes

    static func json(_ object: Any, status: HTTPResponseStatus = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: ["Content-Type": "application/json"], body: .init(data: data))
    }

    static func install(
        _ app: Application, context: FakeServerContext, chainID: String, state: NIOLockedValueBox<State>
    ) {
        app.get("cosmos", "auth", "v1beta1", "accounts", ":address") { req -> Response in
            context.current?.record(req)
            let address = req.parameters.get("address") ?? ""
            guard address.hasPrefix("dydx1") else {
                return json(["code": 3, "message": "decoding bech32 failed"], status: .badRequest)
            }
            let account = state.withLockedValue { state in
                if let known = state.accounts[address] { return known }
                let created = Account(number: UInt64(state.accounts.count + 7), sequence: 0)
                state.accounts[address] = created
                return created
            }
            return json([
                "account": [
                    "@type": "/cosmos.auth.v1beta1.BaseAccount", "address": address,
                    "account_number": String(account.number), "sequence": String(account.sequence),
                ]
            ])
        }
        app.post("cosmos", "tx", "v1beta1", "txs") { req async -> Response in
            guard let server = context.current else { return json([:], status: .internalServerError) }
            server.record(req)
            state.withLockedValue { $0.broadcasts += 1 }
            if let early = await server.before() { return early }
            // Read as plain JSON: the application under test may set a global snake-case decoder.
            guard let buffer = req.body.data,
                let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any],
                let text = object["tx_bytes"] as? String, object["mode"] as? String == "BROADCAST_MODE_SYNC",
                let bytes = Data(base64Encoded: text)
            else {
                return json(["code": 3, "message": "invalid request body"], status: .badRequest)
            }
            let (code, log, hash) = state.withLockedValue {
                broadcast(Array(bytes), chainID: chainID, state: &$0)
            }
            let answer = json([
                "tx_response": [
                    "txhash": hash, "code": code, "raw_log": log, "codespace": code == 0 ? "" : "sdk",
                    "height": "0",
                ]
            ])
            if code == 0 { await server.afterAccepting() }
            return answer
        }
        app.get("v4", "height") { req -> Response in
            context.current?.record(req)
            let height = state.withLockedValue { $0.height }
            return json(["height": String(height), "time": ISO8601DateFormatter().string(from: Date())])
        }
        app.get("v4", "perpetualMarkets") { req -> Response in
            context.current?.record(req)
            let ticker = req.query[String.self, at: "ticker"]
            let markets = state.withLockedValue { $0.markets.values.filter { ticker == nil || $0.ticker == ticker } }
            var answer: [String: Any] = [:]
            for market in markets {
                answer[market.ticker] = [
                    "clobPairId": String(market.clobPairID), "ticker": market.ticker, "status": "ACTIVE",
                    "oraclePrice": "\(market.oraclePrice)", "atomicResolution": market.atomicResolution,
                    "quantumConversionExponent": market.quantumConversionExponent,
                    "stepBaseQuantums": market.stepBaseQuantums, "subticksPerTick": market.subticksPerTick,
                    "stepSize": "\(market.size(quantums: market.stepBaseQuantums))",
                    "tickSize": "\(market.price(subticks: market.subticksPerTick))",
                ]
            }
            return json(["markets": answer])
        }
        app.get("v4", "addresses", ":address", "subaccountNumber", "0") { req -> Response in
            context.current?.record(req)
            let address = req.parameters.get("address") ?? ""
            let positions = state.withLockedValue { $0.positions[address] ?? [:] }
            var open: [String: Any] = [:]
            for (ticker, position) in positions where position.size != 0 {
                open[ticker] = [
                    "market": ticker, "status": "OPEN", "side": position.size > 0 ? "LONG" : "SHORT",
                    "size": "\(position.size)", "entryPrice": "\(position.entry)",
                ]
            }
            return json([
                "subaccount": [
                    "address": address, "subaccountNumber": 0, "equity": "10000", "freeCollateral": "9000",
                    "openPerpetualPositions": open,
                ]
            ])
        }
        app.get("v4", "orders") { req -> Response in
            context.current?.record(req)
            let address = req.query[String.self, at: "address"] ?? ""
            let orders = state.withLockedValue { $0.orders.filter { $0.owner == address } }
            return json(
                orders.map { order -> [String: Any] in
                    var row: [String: Any] = [
                        "id": order.id, "subaccountId": order.owner + "/0", "clientId": String(order.clientID),
                        "clobPairId": String(state.withLockedValue { $0.markets[order.ticker]?.clobPairID ?? 0 }),
                        "side": order.side, "size": "\(order.size)", "price": "\(order.price)",
                        "status": order.status, "type": order.conditionType ?? "MARKET", "ticker": order.ticker,
                        "orderFlags": String(order.flags), "reduceOnly": order.reduceOnly,
                    ]
                    if let trigger = order.triggerPrice { row["triggerPrice"] = "\(trigger)" }
                    return row
                })
        }
        app.get("v4", "fills") { req -> Response in
            context.current?.record(req)
            let address = req.query[String.self, at: "address"] ?? ""
            let market = req.query[String.self, at: "market"]
            let fills = state.withLockedValue { state in
                state.fills.filter { fill in
                    state.orders.contains { $0.id == fill.orderID && $0.owner == address }
                        && (market == nil || fill.ticker == market)
                }
            }
            return json([
                "fills": fills.map {
                    [
                        "id": $0.id, "orderId": $0.orderID, "clientId": String($0.clientID), "market": $0.ticker,
                        "side": $0.side, "size": "\($0.size)", "price": "\($0.price)", "fee": "\($0.fee)",
                    ] as [String: Any]
                }
            ])
        }
    }

    // MARK: the node's checks

    /// The node's answer to a broadcast: code (0 accepted), raw_log, tx hash.
    static func broadcast(_ bytes: [UInt8], chainID: String, state: inout State) -> (Int, String, String) {
        let hash = UUID().uuidString.replacingOccurrences(of: "-", with: "") + String(bytes.count)
        let decoded: DydxTransaction.Decoded
        do {
            decoded = try DydxTransaction.decode(bytes)
        } catch {
            return (2, "tx parse error", hash)
        }
        guard decoded.signMode == DydxTransaction.signModeDirect else {
            return (18, "signature mode not supported: invalid request", hash)
        }
        let signer = decoded.signerAddress
        guard let account = state.accounts[signer] else {
            return (9, "account \(signer) not found: unknown address", hash)
        }
        guard decoded.signatureVerifies(chainID: chainID, accountNumber: account.number) else {
            return (
                4,
                "signature verification failed; please verify account number (\(account.number)) and chain-id (\(chainID)): unauthorized",
                hash
            )
        }
        guard decoded.sequence == account.sequence else {
            return (
                32,
                "account sequence mismatch, expected \(account.sequence), got \(decoded.sequence): incorrect account sequence",
                hash
            )
        }
        guard !decoded.messages.isEmpty else { return (2, "must contain at least one message", hash) }
        var next = state
        for message in decoded.messages {
            if let refusal = apply(message, signer: signer, state: &next) {
                return (refusal.code, refusal.log, hash)
            }
        }
        state = next
        state.accounts[signer]?.sequence += 1
        state.height += 1
        state.accepted.append(
            Accepted(hash: hash, signer: signer, sequence: decoded.sequence, messages: decoded.messages))
        return (0, "[]", hash)
    }

    struct Refusal {
        let code: Int
        let log: String
    }

    static func apply(_ message: DydxTransaction.Message, signer: String, state: inout State) -> Refusal? {
        switch message {
        case .place(let order):
            return place(order, signer: signer, state: &state)
        case .cancel(let cancel):
            let id = cancel.orderID
            guard id.subaccountID.owner == signer else {
                return Refusal(code: 4, log: "signer does not own subaccount \(id.subaccountID.owner): unauthorized")
            }
            guard
                let index = state.orders.firstIndex(where: {
                    $0.owner == id.subaccountID.owner && $0.clientID == id.clientID && $0.flags == id.orderFlags
                        && ["OPEN", "UNTRIGGERED"].contains($0.status)
                })
            else { return Refusal(code: 3006, log: "Stateful order to cancel does not exist: order does not exist") }
            state.orders[index].status = "CANCELED"
            return nil
        }
    }

    static func place(_ order: DydxOrder, signer: String, state: inout State) -> Refusal? {
        let id = order.orderID
        guard id.subaccountID.owner == signer, id.subaccountID.number == 0 else {
            return Refusal(code: 4, log: "signer does not own subaccount \(id.subaccountID.owner): unauthorized")
        }
        guard let market = state.markets.values.first(where: { $0.clobPairID == id.clobPairID }) else {
            return Refusal(code: 3000, log: "ClobPair \(id.clobPairID) not found: invalid clob pair")
        }
        guard market.accepts(quantums: order.quantums, subticks: order.subticks) else {
            return Refusal(
                code: 3007,
                log:
                    "Order quantums \(order.quantums) or subticks \(order.subticks) is not a multiple of the ClobPair's step \(market.stepBaseQuantums) / tick \(market.subticksPerTick): invalid order"
            )
        }
        guard order.side == .buy || order.side == .sell else {
            return Refusal(code: 3003, log: "Order side unspecified: invalid order side")
        }
        if state.orders.contains(where: {
            $0.owner == signer && $0.clientID == id.clientID && $0.flags == id.orderFlags
                && ["OPEN", "UNTRIGGERED", "FILLED"].contains($0.status)
        }) {
            return Refusal(code: 3001, log: "An order with client id \(id.clientID) already exists: duplicate order")
        }
        let side = order.side == .buy ? "BUY" : "SELL"
        let orderID = UUID().uuidString.lowercased()
        switch id.orderFlags {
        case DydxOrders.Flags.shortTerm:
            guard case .goodTilBlock(let block)? = order.goodTilOneof, block > state.height,
                block <= state.height + DydxOrders.shortBlockWindow
            else {
                return Refusal(
                    code: 3009,
                    log:
                        "GoodTilBlock \(order.goodTilBlock) is invalid: must be in (\(state.height), \(state.height + DydxOrders.shortBlockWindow)]"
                )
            }
            let oracle = market.subticks(price: market.oraclePrice) ?? 0
            let crosses = order.side == .buy ? order.subticks >= oracle : order.subticks <= oracle
            let size = market.size(quantums: order.quantums)
            let signed = order.side == .buy ? size : -size
            let current = state.positions[signer]?[market.ticker] ?? (0, 0)
            if order.reduceOnly && (current.size == 0 || (current.size > 0) == (signed > 0)) {
                return Refusal(code: 3010, log: "Reduce-only order would increase the position: invalid order")
            }
            state.orders.append(
                Order(
                    id: orderID, owner: signer, clientID: id.clientID, ticker: market.ticker, flags: id.orderFlags,
                    side: side, size: size, price: market.price(subticks: order.subticks),
                    reduceOnly: order.reduceOnly, conditionType: nil, triggerPrice: nil,
                    status: crosses ? "FILLED" : "CANCELED"))
            guard crosses else { return nil }
            let price = market.oraclePrice
            state.fills.append(
                Fill(
                    id: UUID().uuidString.lowercased(), orderID: orderID, clientID: id.clientID, ticker: market.ticker,
                    side: side, size: size, price: price, fee: (size * price * 0.0005 * 1e6).rounded() / 1e6))
            let total = current.size + signed
            let entry =
                total == 0 ? 0 : (current.size == 0 || (current.size > 0) != (signed > 0)) ? price : current.entry
            state.positions[signer, default: [:]][market.ticker] = (total, entry)
            return nil
        case DydxOrders.Flags.conditional:
            guard case .goodTilBlockTime(let time)? = order.goodTilOneof,
                Double(time) > Date().timeIntervalSince1970
            else {
                return Refusal(code: 3011, log: "GoodTilBlockTime is in the past: invalid order")
            }
            guard order.conditionType == .takeProfit || order.conditionType == .stopLoss,
                order.conditionalOrderTriggerSubticks > 0,
                order.conditionalOrderTriggerSubticks % market.subticksPerTick == 0
            else {
                return Refusal(code: 3012, log: "Conditional order trigger subticks are invalid: invalid order")
            }
            state.orders.append(
                Order(
                    id: orderID, owner: signer, clientID: id.clientID, ticker: market.ticker, flags: id.orderFlags,
                    side: side, size: market.size(quantums: order.quantums),
                    price: market.price(subticks: order.subticks), reduceOnly: order.reduceOnly,
                    conditionType: order.conditionType == .takeProfit ? "TAKE_PROFIT" : "STOP_LOSS",
                    triggerPrice: market.price(subticks: order.conditionalOrderTriggerSubticks),
                    status: "UNTRIGGERED"))
            return nil
        default:
            return Refusal(code: 3002, log: "Order flags \(id.orderFlags) are not supported: invalid order flags")
        }
    }
}
