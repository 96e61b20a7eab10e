import Foundation
import SignalDeskCore

/// dYdX v4 as a venue (issue 23): markets, heights, orders and fills from the indexer; account
/// number and sequence from the node's REST API; orders built and signed SIGN_MODE_DIRECT in Core
/// and broadcast to the node (`BROADCAST_MODE_SYNC`).
///
/// Credentials: `apiKey` is the dYdX address stored with the mnemonic, `apiSecret` the unsealed
/// mnemonic. The key is derived for each call and wiped when the call ends; neither the phrase
/// nor the key appears in an error (a node's refusal carries the chain's `raw_log` only).
public struct DydxClient: Venue {
    public let name = "DYDX"
    let indexerURL: String
    let nodeURL: String
    let chainID: String
    let transport: HTTPTransport
    /// How far from the oracle (market orders) or the trigger (TP/SL) the worst price may be.
    let slippageBps: Double
    let fillPolls: Int
    let fillPollInterval: Duration
    let now: @Sendable () -> Date

    public init(
        indexerURL: String, nodeURL: String, chainID: String, transport: HTTPTransport, slippageBps: Double = 100,
        fillPolls: Int = 10, fillPollInterval: Duration = .milliseconds(500),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.indexerURL = indexerURL.hasSuffix("/") ? String(indexerURL.dropLast()) : indexerURL
        self.nodeURL = nodeURL.hasSuffix("/") ? String(nodeURL.dropLast()) : nodeURL
        self.chainID = chainID
        self.transport = transport
        self.slippageBps = slippageBps
        self.fillPolls = fillPolls
        self.fillPollInterval = fillPollInterval
        self.now = now
    }

    // MARK: Venue

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> OrderResult
    {
        let key = try signingKey(credentials)
        defer { key.wipe() }
        let market = try await market(order.symbol)
        let height = try await height()
        let account = try await account(key.address)
        let clientID = DydxClientID.of(order.clientOrderID)
        let message: DydxOrder
        do {
            message = try DydxOrders.market(
                owner: key.address, clientID: clientID, market: market, side: order.side, size: order.qty,
                slippageBps: slippageBps, latestHeight: height, reduceOnly: order.reduceOnly)
        } catch {
            throw .invalid("size or price out of the market's range")
        }
        try await broadcast([.place(message)], key: key, account: account)
        for attempt in 0..<max(1, fillPolls) {
            if let known = try await queryOrder(
                clientOrderID: order.clientOrderID, symbol: order.symbol, credentials: credentials),
                known.status != .new
            {
                return known
            }
            if attempt + 1 < fillPolls {
                do { try await Task.sleep(for: fillPollInterval) } catch { break }
            }
        }
        // Accepted by the node but not yet seen by the indexer: the caller asks again later.
        throw .timeout
    }

    /// The short-term order with this client order id's client id, with its fills; nil when the
    /// indexer does not know it.
    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        let address = try Self.address(credentials)
        let clientID = String(DydxClientID.of(clientOrderID))
        let orders = try await indexerOrders(address: address)
        guard
            let order = orders.first(where: {
                Self.text($0["clientId"]) == clientID && (Self.text($0["orderFlags"]) ?? "0") == "0"
            }), let id = Self.text(order["id"])
        else { return nil }
        let fills = try await indexerFills(address: address, market: symbol).filter { Self.text($0["orderId"]) == id }
        let sizes = fills.compactMap { Self.number($0["size"]) }
        let filled = sizes.reduce(0, +)
        let notional = fills.reduce(0.0) { $0 + (Self.number($1["size"]) ?? 0) * (Self.number($1["price"]) ?? 0) }
        let fees = fills.reduce(0.0) { $0 + (Self.number($1["fee"]) ?? 0) }
        let status: OrderStatus =
            switch Self.text(order["status"]) ?? "" {
            case "FILLED": .filled
            case "CANCELED": filled > 0 ? .partiallyFilled : .canceled
            case "OPEN", "BEST_EFFORT_OPENED", "UNTRIGGERED": filled > 0 ? .partiallyFilled : .new
            default: .new
            }
        return OrderResult(
            clientOrderID: clientOrderID, venueOrderID: id, status: status, filledQty: filled,
            averagePrice: filled > 0 ? notional / filled : nil, fees: fees)
    }

    /// Cancels the open or untriggered order with this client order id's client id (`role`: the
    /// entry's own, or its TP/SL). Nothing to cancel is not an error.
    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        try await cancel(clientOrderID: clientOrderID, roles: [.entry], symbol: symbol, credentials: credentials)
    }

    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        throw .invalid("dYdX has no test order; orders are signed with the wallet key")
    }

    // MARK: TP/SL

    /// Places the reduce-only TAKE_PROFIT and STOP_LOSS orders of a filled entry (client ids
    /// derived from the entry's client order id with roles `tp` and `sl`), one transaction each,
    /// and returns their client ids. An order the indexer already holds is not placed again.
    public func placeProtection(
        entryClientOrderID: String, symbol: String, position: TradeSide, size: Double, takeProfit: Double?,
        stopLoss: Double?, credentials: VenueCredentials
    ) async throws(VenueError) -> [UInt32] {
        let wanted: [(DydxClientID.Role, DydxOrder.ConditionType, Double)] =
            [(.takeProfit, .takeProfit, takeProfit), (.stopLoss, .stopLoss, stopLoss)].compactMap { role, type, price in
                price.map { (role, type, $0) }
            }
        guard !wanted.isEmpty else { return [] }
        let key = try signingKey(credentials)
        defer { key.wipe() }
        let market = try await market(symbol)
        let existing = Set(try await indexerOrders(address: key.address).compactMap { Self.text($0["clientId"]) })
        var account = try await account(key.address)
        var placed: [UInt32] = []
        for (role, type, trigger) in wanted {
            let clientID = DydxClientID.of(entryClientOrderID, role: role)
            placed.append(clientID)
            if existing.contains(String(clientID)) { continue }
            let order: DydxOrder
            do {
                order = try DydxOrders.conditional(
                    type, owner: key.address, clientID: clientID, market: market, position: position, size: size,
                    trigger: trigger, slippageBps: slippageBps, now: now())
            } catch {
                throw .invalid("take_profit or stop_loss out of the market's range")
            }
            try await broadcast([.place(order)], key: key, account: account)
            // The committed sequence lags the mempool's: the next transaction takes the next one.
            account = DydxTransaction.Account(number: account.number, sequence: account.sequence + 1)
        }
        return placed
    }

    /// The entry's TP or SL order that filled on the chain (the position closed there), with its
    /// fills; nil while neither has.
    public func protectionFill(entryClientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> (role: DydxClientID.Role, result: OrderResult)?
    {
        let address = try Self.address(credentials)
        let roles: [DydxClientID.Role] = [.takeProfit, .stopLoss]
        let byClientID = Dictionary(
            uniqueKeysWithValues: roles.map { (String(DydxClientID.of(entryClientOrderID, role: $0)), $0) })
        guard
            let order = try await indexerOrders(address: address).first(where: {
                byClientID[Self.text($0["clientId"]) ?? ""] != nil && Self.text($0["status"]) == "FILLED"
            }), let id = Self.text(order["id"]), let role = byClientID[Self.text(order["clientId"]) ?? ""]
        else { return nil }
        let fills = try await indexerFills(address: address, market: symbol).filter { Self.text($0["orderId"]) == id }
        let filled = fills.reduce(0.0) { $0 + (Self.number($1["size"]) ?? 0) }
        guard filled > 0 else { return nil }
        let notional = fills.reduce(0.0) { $0 + (Self.number($1["size"]) ?? 0) * (Self.number($1["price"]) ?? 0) }
        let fees = fills.reduce(0.0) { $0 + (Self.number($1["fee"]) ?? 0) }
        return (
            role,
            OrderResult(
                clientOrderID: entryClientOrderID + ":" + role.rawValue, venueOrderID: id, status: .filled,
                filledQty: filled, averagePrice: notional / filled, fees: fees)
        )
    }

    /// Cancels whichever of the entry's TP and SL orders are still untriggered (the leftover one
    /// when a position closes).
    public func cancelProtection(entryClientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        try await cancel(
            clientOrderID: entryClientOrderID, roles: [.takeProfit, .stopLoss], symbol: symbol,
            credentials: credentials)
    }

    func cancel(clientOrderID: String, roles: [DydxClientID.Role], symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        let key = try signingKey(credentials)
        defer { key.wipe() }
        let clientIDs = Set(roles.map { String(DydxClientID.of(clientOrderID, role: $0)) })
        let open = try await indexerOrders(address: key.address).filter {
            clientIDs.contains(Self.text($0["clientId"]) ?? "")
                && ["OPEN", "UNTRIGGERED", "BEST_EFFORT_OPENED"].contains(Self.text($0["status"]) ?? "")
        }
        guard !open.isEmpty else { return }
        let market = try await market(symbol)
        var account = try await account(key.address)
        let height = try await height()
        for order in open {
            guard let clientID = Self.text(order["clientId"]).flatMap(UInt32.init),
                let flags = UInt32(Self.text(order["orderFlags"]) ?? "0")
            else { continue }
            var id = DydxOrderId()
            var subaccount = DydxSubaccountId()
            subaccount.owner = key.address
            id.subaccountID = subaccount
            id.clientID = clientID
            id.orderFlags = flags
            id.clobPairID = market.clobPairID
            var cancel = DydxMsgCancelOrder()
            cancel.orderID = id
            if flags == DydxOrders.Flags.shortTerm {
                cancel.goodTilBlock = DydxOrders.goodTilBlock(latestHeight: height)
            } else {
                cancel.goodTilBlockTime = UInt32(
                    now().addingTimeInterval(DydxOrders.conditionalLifetime).timeIntervalSince1970)
            }
            try await broadcast([.cancel(cancel)], key: key, account: account)
            account = DydxTransaction.Account(number: account.number, sequence: account.sequence + 1)
        }
    }

    // MARK: node

    /// `GET /cosmos/auth/v1beta1/accounts/{address}`.
    public func account(_ address: String) async throws(VenueError) -> DydxTransaction.Account {
        let object = try await getJSON("\(nodeURL)/cosmos/auth/v1beta1/accounts/\(try Self.checked(address))")
        guard let account = object["account"] as? [String: Any],
            let number = Self.text(account["account_number"]).flatMap(UInt64.init),
            let sequence = Self.text(account["sequence"]).flatMap(UInt64.init)
        else { throw .invalid("the node's account answer has no account number or sequence") }
        return DydxTransaction.Account(number: number, sequence: sequence)
    }

    /// Signs and broadcasts; a non-zero `code` is a refusal carrying the chain's `raw_log`.
    func broadcast(_ messages: [DydxTransaction.Message], key: DydxSigningKey, account: DydxTransaction.Account)
        async throws(VenueError)
    {
        let bytes: [UInt8]
        do {
            bytes = try DydxTransaction.signed(messages, key: key, account: account, chainID: chainID)
        } catch {
            throw .invalid("the order could not be signed")
        }
        let body = #"{"tx_bytes":"\#(Data(bytes).base64EncodedString())","mode":"BROADCAST_MODE_SYNC"}"#
        let answer = try await transport.send(
            .POST, "\(nodeURL)/cosmos/tx/v1beta1/txs", headers: [("Content-Type", "application/json")], body: body)
        guard (200..<300).contains(answer.status) else {
            throw .rejected(status: answer.status, code: nil, body: String(answer.body.prefix(300)))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
            let response = object["tx_response"] as? [String: Any]
        else { throw .unavailable(status: answer.status, body: "the node's answer has no tx_response") }
        let code = (response["code"] as? Int) ?? Int(Self.text(response["code"]) ?? "") ?? -1
        guard code == 0 else {
            throw .rejected(
                status: answer.status, code: String(code),
                body: String((Self.text(response["raw_log"]) ?? "").prefix(300)))
        }
    }

    // MARK: indexer

    /// `GET /v4/perpetualMarkets?ticker=`.
    public func market(_ ticker: String) async throws(VenueError) -> DydxMarket {
        let object = try await getJSON("\(indexerURL)/v4/perpetualMarkets?ticker=\(try Self.checked(ticker))")
        guard let markets = object["markets"] as? [String: Any], let market = markets[ticker] as? [String: Any],
            let clob = Self.text(market["clobPairId"]).flatMap(UInt32.init),
            let atomic = Self.text(market["atomicResolution"]).flatMap(Int.init),
            let exponent = Self.text(market["quantumConversionExponent"]).flatMap(Int.init),
            let step = Self.text(market["stepBaseQuantums"]).flatMap(UInt64.init),
            let tick = Self.text(market["subticksPerTick"]).flatMap(UInt64.init),
            let oracle = Self.number(market["oraclePrice"])
        else { throw .invalid("unknown dYdX market \(ticker.prefix(20))") }
        return DydxMarket(
            ticker: ticker, clobPairID: clob, atomicResolution: atomic, quantumConversionExponent: exponent,
            stepBaseQuantums: step, subticksPerTick: tick, oraclePrice: oracle)
    }

    /// `GET /v4/height`.
    public func height() async throws(VenueError) -> UInt32 {
        let object = try await getJSON("\(indexerURL)/v4/height")
        guard let height = Self.text(object["height"]).flatMap(UInt32.init) else {
            throw .invalid("the indexer's height answer has no height")
        }
        return height
    }

    func indexerOrders(address: String) async throws(VenueError) -> [[String: Any]] {
        let answer = try await get(
            "\(indexerURL)/v4/orders?address=\(try Self.checked(address))&subaccountNumber=0&limit=100")
        return (try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [[String: Any]]) ?? []
    }

    func indexerFills(address: String, market: String) async throws(VenueError) -> [[String: Any]] {
        let object = try await getJSON(
            "\(indexerURL)/v4/fills?address=\(try Self.checked(address))&subaccountNumber=0&market=\(try Self.checked(market))&limit=100"
        )
        return object["fills"] as? [[String: Any]] ?? []
    }

    func get(_ url: String) async throws(VenueError) -> String {
        let answer = try await transport.send(.GET, url, retries: 1)
        guard (200..<300).contains(answer.status) else {
            throw .rejected(status: answer.status, code: nil, body: String(answer.body.prefix(200)))
        }
        return answer.body
    }

    func getJSON(_ url: String) async throws(VenueError) -> [String: Any] {
        let body = try await get(url)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw .invalid("the answer is not a JSON object")
        }
        return object
    }

    // MARK: helpers

    func signingKey(_ credentials: VenueCredentials) throws(VenueError) -> DydxSigningKey {
        guard let mnemonic = try? BIP39.mnemonic(credentials.apiSecret), let key = DydxSigningKey(mnemonic: mnemonic)
        else { throw .invalid("the stored dYdX mnemonic does not give a key") }
        guard key.address == credentials.apiKey else {
            key.wipe()
            throw .invalid("the stored dYdX address is not the mnemonic's")
        }
        return key
    }

    static func address(_ credentials: VenueCredentials) throws(VenueError) -> String {
        try checked(credentials.apiKey)
    }

    /// A path or query value: letters, digits and `-` only (addresses, tickers).
    static func checked(_ value: String) throws(VenueError) -> String {
        guard !value.isEmpty, value.count <= 90,
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { throw .invalid("not a dYdX address or market") }
        return value
    }

    static func text(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as Int: String(number)
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let text as String: Double(text)
        case let number as Double: number
        case let number as Int: Double(number)
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }
}
