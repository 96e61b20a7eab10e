import Fluent
import Foundation
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// Executes one claimed webhook signal: pretrade checks, sizing, the venue order and the
/// bookkeeping, each step recorded.
///
/// Crash safety: the order row is written `PENDING` (unique client order id, derived from the
/// signal id) before the venue is called. A later attempt at the same signal finds that row and
/// asks the venue about the client id before ordering, so an order the venue accepted is booked,
/// never placed twice. An answer that is unknown (timeout, 5xx) is resolved the same way.
struct SignalExecution {
    let app: Application

    /// Throws once the databases shut down (``Application/database``).
    var db: any Database { get throws { try app.database } }
    var config: AppConfig { app.appConfig }

    /// Test hook: runs after the venue accepted an order and before the bookkeeping commits.
    typealias Fault = @Sendable (Signal) async throws -> Void

    /// The client order id of a position's exit decided by the rules (the position monitor and
    /// the exit tick alike): one id per position, so the venue refuses the second of two exits
    /// sent for it (the tick used `xt…` and the monitor `mx…`, and both were filled).
    static func exitClientOrderID(_ positionID: UUID) -> String {
        "mx" + positionID.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func clientOrderID(_ signalID: UUID, index: Int? = nil) -> String {
        let hex = signalID.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        guard let index else { return "sd" + hex }
        return "sc" + hex.prefix(30) + String(format: "%02d", index)
    }

    func execute(_ signal: Signal) async {
        await execute(userSignals: [signal])
    }

    /// Executes claimed signals of one user in their order: each run of opens together
    /// (``executeOpens(_:)``: one locked decision for the run), each close on its own.
    func execute(userSignals signals: [Signal]) async {
        var opens: [Signal] = []
        func openRun() async {
            guard !opens.isEmpty else { return }
            do {
                try await executeOpens(opens)
            } catch {
                // Left EXECUTING: the lease returns them for one more attempt, which starts by
                // asking the venue about any order reserved.
                for signal in opens { Self.logStopped(signal, error, logger: app.logger) }
            }
            opens = []
        }
        for signal in signals {
            if signal.action == .close {
                await openRun()
                do {
                    try await executeClose(signal)
                } catch {
                    Self.logStopped(signal, error, logger: app.logger)
                }
            } else {
                opens.append(signal)
            }
        }
        await openRun()
    }

    /// A signal left `EXECUTING` by an error: the lease returns it for one more attempt.
    static func logStopped(_ signal: Signal, _ error: any Error, logger: Logger) {
        logger.error("Signal \(signal.id?.uuidString ?? "?") execution stopped: \(String(reflecting: error))")
    }

    /// The venue and credentials for a signal under EXECUTION_MODE.
    func venue(for exchange: Exchange, userID: UUID) async throws -> (any Venue, VenueCredentials?) {
        switch config.executionMode {
        case .paper:
            return (app.venues.paper, VenueCredentials(apiKey: "paper", apiSecret: "paper"))
        case .testnet, .live:
            if !exchange.usesAPIKeys {
                // DYDX: the mnemonic for the configured network, unsealed for this execution; the
                // venue derives the key from it for each call and wipes it after.
                let credentials = try await TradingCredentials.dydx(
                    userID: userID, network: config.dydxNetwork, keyRing: config.keyRing, on: db)
                return (app.venues.venue(for: exchange), credentials)
            }
            let loaded = try await ExchangeCredentials.load(
                userID: userID, exchange: exchange, keyRing: config.keyRing, on: db)
            return (app.venues.venue(for: exchange), loaded?.0)
        }
    }

    /// What the locked step of an open decided.
    private enum OpenDecision: Sendable {
        /// Refused by the checks for these reasons (recorded in the same transaction); nothing
        /// was reserved.
        case rejected([String])
        /// An order was reserved now; place it.
        case place(qty: Double, price: Double?)
        /// An earlier attempt reserved this order (and may have placed it): ask the venue first.
        case resume(qty: Double, price: Double?)
    }

    /// Opens a position from a claimed signal (``executeOpens(_:)`` with one signal).
    func executeOpen(_ signal: Signal) async throws {
        try await executeOpens([signal])
    }

    /// What an open needs that is read before the user's lock: the signal, its venue and
    /// strategy, its price.
    private struct OpenContext: Sendable {
        let signal: Signal
        let exchange: Exchange
        let strategy: EffectiveStrategy
        let venue: any Venue
        let credentials: VenueCredentials?
        let entry: Double?
        let clientOrderID: String
    }

    /// Opens positions from claimed open signals of ONE user, in their order, in three steps:
    /// 1. ``PositionBook/decideOpen(userID:now:_:)``, the step every open goes through: under the
    ///    user's lock the pretrade and risk checks read the user's state, including opens still in
    ///    flight (``RiskStateStore/inFlight``). Each signal in turn is decided against that state:
    ///    a refused one is recorded as rejected, a passing one reserves its order row (`PENDING`),
    ///    and the state the next signal is decided against counts that reservation as the state
    ///    read again would (one more open in flight, activity now). All in one transaction, so N
    ///    alerts at once are limited exactly as N one after another, and a burst of one user's
    ///    alerts costs one lock, one read of the state and one commit.
    /// 2. The venue call of each reserved order, outside any transaction.
    /// 3. Under the user's lock again, each fill is booked: order, position, audit, notification.
    func executeOpens(_ signals: [Signal]) async throws {
        guard let userID = signals.first?.$user.id else { return }
        precondition(signals.allSatisfy { $0.$user.id == userID }, "executeOpens takes one user's signals")
        guard let user = try await User.find(userID, on: db) else {
            for signal in signals { try await reject(signal, ["user_missing"]) }
            return
        }
        let book = PositionBook(app: app, db: try db)
        let settings = try await app.tradingSettings.current(on: try db)
        let limits = book.limits(for: user, profiles: settings.profiles)
        let exposure = config.symbolExposure
        var strategies: [Exchange: EffectiveStrategy] = [:]
        var venues: [Exchange: (any Venue, VenueCredentials?)] = [:]
        var contexts: [OpenContext] = []
        for signal in signals {
            // A stored exchange this build does not know is refused, never traded somewhere else.
            guard let exchange = Exchange(rawValue: signal.exchange) else {
                try await reject(signal, ["exchange_unknown"])
                continue
            }
            if strategies[exchange] == nil {
                strategies[exchange] = try await EffectiveStrategy.load(userID: userID, exchange: exchange, on: db)
            }
            if venues[exchange] == nil { venues[exchange] = try await venue(for: exchange, userID: userID) }
            guard let strategy = strategies[exchange], let (venue, credentials) = venues[exchange] else { continue }
            var entry = signal.entryPrice
            if entry == nil { entry = await app.marketPrices.last(signal.symbol) }
            contexts.append(
                OpenContext(
                    signal: signal, exchange: exchange, strategy: strategy, venue: venue, credentials: credentials,
                    entry: entry, clientOrderID: Self.clientOrderID(try signal.requireID())))
        }
        guard !contexts.isEmpty else { return }

        let now = app.wallClock.now()
        let decided = contexts
        // The reserved orders are on the disk before any venue hears of them; only the paper
        // venue, inside this process, needs no such promise (``Durability``).
        let durability: Durability = decided.allSatisfy { $0.venue is PaperVenue } ? .deferred : .beforeReturn
        let gate = SubscriptionGate(app: app)
        let decisions: [OpenDecision] = try await book.decideOpen(userID: userID, now: now, durability: durability) {
            tx, risk in
            var state = risk
            var decisions: [OpenDecision] = []
            // Orders an earlier attempt at any of these signals reserved, in one query.
            let earlier = try await Order.query(on: tx).filter(\.$clientOrderID ~~ decided.map(\.clientOrderID)).all()
            let earlierByID = Dictionary(
                earlier.map { ($0.clientOrderID, $0) }, uniquingKeysWith: { first, _ in first })
            // SUBSCRIPTION_REQUIRED: read under the user's lock at `now`, so a period that ended
            // while these alerts waited stops them. An open an earlier attempt reserved may
            // already be at the venue: it is finished, not refused.
            let subscribed = try await gate.allowsOpens(userID: userID, now: now, on: tx)
            // MAX_OPEN_QTY_PER_SYMBOL: what the user holds per symbol, this batch's reservations added.
            var held = exposure.isOn ? try await RiskStateStore.openQtyBySymbol(userID: userID, on: tx) : [:]
            for context in decided {
                if !subscribed, earlierByID[context.clientOrderID] == nil {
                    decisions.append(.rejected([SubscriptionGate.reason]))
                    continue
                }
                let symbol = context.signal.symbol.uppercased()
                state.symbolOpenQty = held[symbol] ?? 0
                let decision = try await decide(
                    context, earlier: earlierByID[context.clientOrderID], limits: limits,
                    policy: settings.policies.policy(context.strategy.strategy, on: context.exchange), state: state,
                    now: now, on: tx)
                if case .place(let qty, _) = decision {
                    // What the state read again would say: one more open in flight, reserved now.
                    state.pendingOpens += 1
                    state.lastActivityAt = max(state.lastActivityAt ?? now, now)
                    held[symbol, default: 0] += qty
                }
                decisions.append(decision)
            }
            // The refusals, together: one update, one insert of audit rows, one of notifications.
            let refused: [(context: OpenContext, reasons: [String])] = zip(decided, decisions).compactMap {
                if case .rejected(let reasons) = $1 { ($0, reasons) } else { nil }
            }
            try await recordRejections(refused, now: now, on: tx)
            let unsubscribed = refused.filter { $0.reasons == [SubscriptionGate.reason] }
            if !unsubscribed.isEmpty {
                try await gate.noticeRefused(
                    userID: userID, symbols: unsubscribed.map(\.context.signal.symbol), now: now, on: tx)
            }
            return decisions
        }
        if decisions.contains(where: { if case .rejected = $0 { true } else { false } }) {
            app.outboxWakeup?.signal()
        }
        for (context, decision) in zip(contexts, decisions) {
            do {
                switch decision {
                case .rejected: continue
                case .place(let qty, let price):
                    try await complete(context, qty: qty, price: price, earlierAttempt: false, book: book)
                case .resume(let qty, let price):
                    try await complete(context, qty: qty, price: price, earlierAttempt: true, book: book)
                }
            } catch {
                // Left EXECUTING with its order reserved: the lease returns it for one more
                // attempt, which starts by asking the venue. The user's other opens go on.
                Self.logStopped(context.signal, error, logger: app.logger)
            }
        }
    }

    /// The locked decision about one open (``executeOpens(_:)``, step 1) against `state`.
    /// `earlier` is the order an earlier attempt reserved for this signal, if any.
    private func decide(
        _ context: OpenContext, earlier: Order?, limits: RiskLimits, policy: StrategyRuntimePolicy,
        state risk: OpenRiskCheck.State, now: Date, on tx: any Database
    ) async throws -> OpenDecision {
        let signal = context.signal
        let clientOrderID = context.clientOrderID
        if let earlier { return .resume(qty: earlier.qty, price: earlier.price) }
        let exchange = context.exchange
        let strategy = context.strategy
        // Alerts carry no market-regime inputs: the policy's `bull` numbers, the regime a request
        // without them is judged in (issue 25 group 12).
        let rules = policy.rules(strategy.strategy.rules(on: exchange), in: .bull, exchange: exchange)
        let entry = context.entry
        let mode = config.executionMode
        // Alerts carry no timeframes or liquidity figures: those checks take the strategy's own
        // values; everything about the account and the levels is checked for real.
        let proposal = PretradeCheck.Proposal(
            rewardRisk: entry.flatMap {
                PositionSizing.rewardRisk(entry: $0, stop: signal.stopLoss, take: signal.takeProfit)
            } ?? rules.minRewardRisk,
            trendTimeframe: rules.trendTimeframes[0], signalTimeframe: rules.signalTimeframes[0],
            timingTimeframe: rules.timingTimeframes[0],
            spreadBps: 0, slippageBps: 0, volume24hUSDT: rules.minVolume24hUSDT ?? 0)
        var failed = PretradeCheck.evaluate(
            exchange: exchange,
            account: .init(
                strategyEnabled: strategy.enabled, strategy: strategy.strategy,
                secretConfigured: context.credentials != nil, limits: limits, risk: risk, policy: policy),
            proposal: proposal, now: now
        ).filter { !$0.passed }.map(\.name)
        if mode == .live { failed.append("live_trading_not_enabled") }
        guard let entry else { return .rejected(failed + ["price_unknown"]) }
        let qty =
            signal.qty
            ?? PositionSizing.quantity(
                limits: limits, entry: entry, stop: signal.stopLoss, requestedRiskPct: signal.baseRiskPercent)
        guard let qty else { return .rejected(failed + ["size_unknown"]) }
        if let stop = signal.stopLoss,
            RiskLimits.riskOf(qty: qty, entry: entry, stop: stop) > limits.maxRiskPerTrade + 1e-9
        {
            failed.append("risk_per_trade")
        }
        if limits.rules.stopLossRequired && signal.stopLoss == nil { failed.append(OpenBlock.stopLossRequired.code) }
        if let block = config.symbolExposure.block(openQty: risk.symbolOpenQty, adding: qty) {
            failed.append(block.code)
        }
        guard failed.isEmpty, context.credentials != nil else { return .rejected(failed) }
        // The paper venue fills a market order at the alert's price: in a worker process of its
        // own the alert never reached this process's price cache.
        let price = signal.orderType == .limit || mode == .paper ? entry : nil
        let request = OrderRequest(
            symbol: signal.symbol, side: signal.side, qty: qty, type: OrderType(signal.orderType), price: price,
            clientOrderID: clientOrderID)
        // The user's lock is held and no row existed: the insert cannot meet a conflict, but
        // should it, the row is an earlier attempt's and the venue is asked first.
        let reserved = try await Self.reserveOrder(
            request, signal: signal, venueName: context.venue.name, now: now, on: tx)
        return reserved ? .place(qty: qty, price: price) : .resume(qty: qty, price: price)
    }

    /// Places a reserved open and books its fill (``executeOpens(_:)``, steps 2 and 3).
    private func complete(
        _ context: OpenContext, qty: Double, price: Double?, earlierAttempt: Bool, book: PositionBook
    ) async throws {
        let signal = context.signal
        let userID = signal.$user.id
        let venue = context.venue
        guard let credentials = context.credentials else {
            return try await reject(signal, ["exchange_secret_configured"])
        }
        let request = OrderRequest(
            symbol: signal.symbol, side: signal.side, qty: qty, type: OrderType(signal.orderType),
            price: price, clientOrderID: context.clientOrderID)
        let reference = price ?? context.entry
        if let reference, await app.marketPrices.last(signal.symbol) == nil {
            // Give this process's position monitor a price to start from.
            await app.marketPrices.update(signal.symbol, reference)
        }
        guard
            let result = try await place(
                request, signal: signal, exchange: context.exchange, venue: venue, credentials: credentials,
                earlierAttempt: earlierAttempt)
        else { return }
        guard let fill = result.averagePrice ?? reference else {
            return try await fail(signal, message: "Venue reported no fill price")
        }
        let filledQty = result.filledQty > 0 ? result.filledQty : qty
        try await app.executionFault?(signal)
        // Deferred (``Durability``): a booking lost with the machine leaves the order reserved,
        // and the retry asks the venue about it before placing anything.
        try await book.withUserLock(userID, durability: .deferred) { tx in
            try await OrderStore().recordResult(
                result, clientOrderID: request.clientOrderID, now: app.wallClock.now(), on: tx)
            let filledAt = app.wallClock.now()
            let position = try await book.insertPosition(
                from: signal, qty: filledQty, entry: fill, fees: result.fees, userID: userID,
                day: book.calendar.day(of: filledAt), now: filledAt, on: tx)
            try await OrderStore().attachPosition(
                try position.requireID(), clientOrderID: request.clientOrderID, on: tx)
            try await AuditLog.record(
                AuditAction.executionOrderFilled, userID: userID, entityType: "order", entityID: request.clientOrderID,
                details: [
                    "venue": .string(venue.name), "symbol": .string(signal.symbol), "qty": .double(filledQty),
                    "price": .double(fill),
                ], on: tx)
            try await OutboxMessage(
                userID: userID,
                text: NotificationText.executed(
                    symbol: signal.symbol, side: signal.side.orderWord, qty: filledQty, price: fill, venue: venue.name),
                now: filledAt
            ).create(on: tx)
        }
        app.outboxWakeup?.signal()
        await app.marketPrices.update(signal.symbol, fill)
        if context.exchange == .dydx, !(venue is PaperVenue) {
            await protect(signal, qty: filledQty, clientOrderID: request.clientOrderID, credentials: credentials)
        }
    }

    /// Places the DYDX position's TP/SL as reduce-only conditional orders. A failure leaves the
    /// position open and watched by the position monitor's exit rules, and is audited.
    private func protect(_ signal: Signal, qty: Double, clientOrderID: String, credentials: VenueCredentials) async {
        guard signal.takeProfit != nil || signal.stopLoss != nil, let client = app.venues.dydxClient else { return }
        do {
            _ = try await client.placeProtection(
                entryClientOrderID: clientOrderID, symbol: signal.symbol, position: signal.side, size: qty,
                takeProfit: signal.takeProfit, stopLoss: signal.stopLoss, credentials: credentials)
        } catch {
            let message = VenueFailureText.describe(
                error, exchange: .dydx, credentials: credentials, timeout: config.venueTimeoutSeconds,
                action: "TP/SL order")
            app.logger.warning("Signal \(signal.id?.uuidString ?? "?"): \(message)")
            try? await AuditLog.record(
                AuditAction.executionProtectionError, userID: signal.$user.id, entityType: "order",
                entityID: clientOrderID, details: ["error": .string(message)], on: db)
        }
    }

    /// Writes the `PENDING` order row of `request`, unless one with its client order id exists.
    /// True when this call wrote it.
    static func reserveOrder(_ request: OrderRequest, signal: Signal, venueName: String, now: Date, on db: any Database)
        async throws -> Bool
    {
        try await OrderStore().reserve(
            request, userID: signal.$user.id, signalID: try signal.requireID(), venue: venueName, now: now, on: db)
    }

    /// Places `request` at most once: an existing order row means an earlier attempt, so the venue
    /// is asked first. Returns the venue's answer, or nil when the signal was failed or must wait.
    func placeOnce(
        _ request: OrderRequest, signal: Signal, exchange: Exchange, venue: any Venue, credentials: VenueCredentials
    ) async throws -> OrderResult? {
        let inserted = try await app.stores.transactions.writing {
            try await Self.reserveOrder(
                request, signal: signal, venueName: venue.name, now: app.wallClock.now(), on: db)
        }
        return try await place(
            request, signal: signal, exchange: exchange, venue: venue, credentials: credentials,
            earlierAttempt: !inserted)
    }

    /// Sends the reserved order `request` to the venue. After an `earlierAttempt` the venue may
    /// already hold it, so it is asked about the client order id first.
    func place(
        _ request: OrderRequest, signal: Signal, exchange: Exchange, venue: any Venue, credentials: VenueCredentials,
        earlierAttempt: Bool
    ) async throws -> OrderResult? {
        if earlierAttempt {
            // An earlier attempt got this far: the venue may already hold the order.
            do {
                if let known = try await venue.queryOrder(
                    clientOrderID: request.clientOrderID, symbol: request.symbol, credentials: credentials)
                {
                    return known
                }
            } catch {
                try await setOrder(request.clientOrderID, .unknown, error: "\(error)")
                return nil
            }
        }
        do {
            return try await venue.placeOrder(request, credentials: credentials)
        } catch  where error.outcomeUnknown {
            if let known = try? await venue.queryOrder(
                clientOrderID: request.clientOrderID, symbol: request.symbol, credentials: credentials)
            {
                return known
            }
            try await setOrder(request.clientOrderID, .unknown, error: "\(error)")
            return nil
        } catch {
            try await setOrder(request.clientOrderID, .rejected, error: "\(error)")
            let message: String
            if venue.name == "PAPER", case .invalid(let reason) = error {
                message = "Paper order failed: \(reason)"
            } else {
                message = VenueFailureText.describe(
                    error, exchange: exchange,
                    credentials: credentials, timeout: config.venueTimeoutSeconds, action: "order")
            }
            try await fail(signal, message: message)
            return nil
        }
    }

    private func setOrder(_ clientOrderID: String, _ failure: OrderStore.PlacementFailure, error: String)
        async throws
    {
        let now = app.wallClock.now()
        try await app.stores.transactions.writing(on: db, durability: .deferred) { db in
            try await OrderStore().recordFailure(failure, error: error, clientOrderID: clientOrderID, now: now, on: db)
        }
    }

    func reject(_ signal: Signal, _ reasons: [String]) async throws {
        try await finish(
            signal, .reject, reasons: reasons, audit: AuditAction.signalRejected,
            text: NotificationText.rejected(symbol: signal.symbol, reasons: reasons))
    }

    func fail(_ signal: Signal, message: String) async throws {
        try await finish(
            signal, .fail, reasons: [message], audit: AuditAction.signalFailed,
            text: NotificationText.failed(symbol: signal.symbol, error: message))
    }

    private func finish(_ signal: Signal, _ event: SignalEvent, reasons: [String], audit: AuditAction, text: String)
        async throws
    {
        let now = app.wallClock.now()
        // Deferred (``Durability``): a refusal or failure lost with the machine is decided again.
        try await app.stores.transactions.run(on: db, durability: .deferred) { tx in
            try await record(signal, event, reasons: reasons, audit: audit, text: text, now: now, on: tx)
        }
        app.outboxWakeup?.signal()
    }

    /// Records refused opens inside the caller's transaction `tx` (the open's locked step, so a
    /// refusal costs no transaction of its own): their transitions and reasons in one statement,
    /// their audit rows in one, their notifications in one. The caller wakes the outbox after the
    /// commit.
    private func recordRejections(
        _ refused: [(context: OpenContext, reasons: [String])], now: Date, on tx: any Database
    )
        async throws
    {
        guard !refused.isEmpty else { return }
        let signals = refused.map(\.context.signal)
        // The lifecycle's step, from Core; every refused signal is EXECUTING (claimed).
        let from = SignalStatus.executing
        let to = try from.applying(.reject)
        let moved = try await SignalStateStore().transitionSignals(
            try refused.map { (try $0.context.signal.requireID(), $0.reasons) }, from: from, to: to, now: now, on: tx)
        guard moved == refused.count else {
            throw IllegalSignalTransition(from: from, event: .reject)
        }
        for signal in signals { signal.status = to }
        // A refusal for the subscription is audited as such, and told once a day
        // (``SubscriptionGate/noticeRefused(userID:symbols:now:on:)``), not once per alert.
        let forSubscription: (([String]) -> Bool) = { $0 == [SubscriptionGate.reason] }
        try await AuditLog.recordMany(
            refused.map {
                (
                    forSubscription($0.reasons) ? AuditAction.executionBlockedSubscription : AuditAction.signalRejected,
                    $0.context.signal.$user.id, "signal", $0.context.signal.id?.uuidString,
                    ["reasons": .string($0.reasons.joined(separator: ","))]
                )
            }, on: tx, at: now)
        let told = refused.filter { !forSubscription($0.reasons) }
        if !told.isEmpty {
            try await told.map {
                OutboxMessage(
                    userID: $0.context.signal.$user.id,
                    text: NotificationText.rejected(symbol: $0.context.signal.symbol, reasons: $0.reasons), now: now)
            }.create(on: tx)
        }
    }

    /// The signal's last step, its reasons, its audit row and its notification, on `tx`.
    private func record(
        _ signal: Signal, _ event: SignalEvent, reasons: [String], audit: AuditAction, text: String, now: Date,
        on tx: any Database
    ) async throws {
        try await PositionBook(app: app, db: tx).transition(signal, event, reasons: reasons, now: now, on: tx)
        try await AuditLog.record(
            audit, userID: signal.$user.id, entityType: "signal", entityID: signal.id?.uuidString,
            details: ["reasons": .string(reasons.joined(separator: ","))], on: tx, at: now)
        try await OutboxMessage(userID: signal.$user.id, text: text, now: now).create(on: tx)
    }

    /// A close/exit alert: closes the user's open positions in the symbol at the venue's fill.
    func executeClose(_ signal: Signal) async throws {
        let userID = signal.$user.id
        let positions = try await Position.query(on: db)
            .filter(\.$user.$id == userID).filter(\.$symbol == signal.symbol).filter(\.$status == .open).all()
        guard !positions.isEmpty else { return try await reject(signal, ["no_open_position"]) }
        for (index, position) in positions.enumerated() {
            guard
                try await closePosition(
                    position, clientOrderID: Self.clientOrderID(try signal.requireID(), index: index),
                    reason: "signal_close", signal: signal)
            else { return }
        }
        try await app.stores.transactions.run(on: db, durability: .deferred) { tx in
            try await PositionBook(app: app, db: tx).transition(
                signal, .closedPosition, now: app.wallClock.now(), on: tx)
            try await AuditLog.record(
                AuditAction.executionClose, userID: userID, entityType: "signal", entityID: signal.id?.uuidString,
                details: ["positions": .int(positions.count), "symbol": .string(signal.symbol)], on: tx)
        }
    }

    /// Closes one position on its venue (the opposite order) and in the database. False when the
    /// venue refused or did not answer (the position stays open).
    func closePosition(_ position: Position, clientOrderID: String, reason: String, signal: Signal?) async throws
        -> Bool
    {
        guard let exchange = Exchange(rawValue: position.exchange) else {
            app.logger.error(
                "Position \(position.id?.uuidString ?? "?") has an unknown exchange \(position.exchange); not closed")
            if let signal { try await fail(signal, message: "Unknown exchange \(position.exchange)") }
            return false
        }
        let (venue, credentials) = try await venue(for: exchange, userID: position.$user.id)
        guard let credentials else {
            if let signal { try await fail(signal, message: "Missing credentials for \(exchange.rawValue)") }
            return false
        }
        let last = await app.marketPrices.last(position.symbol)
        let request = OrderRequest(
            symbol: position.symbol, side: position.side == .long ? .short : .long, qty: position.qty,
            price: config.executionMode == .paper ? last : nil, clientOrderID: clientOrderID, reduceOnly: true)
        let result: OrderResult
        if let signal {
            guard
                let placed = try await placeOnce(
                    request, signal: signal, exchange: exchange, venue: venue, credentials: credentials)
            else { return false }
            result = placed
        } else {
            // Read again just before the order: the monitor, a tick or a close may have closed it
            // since the caller read it, and a second exit would sell what is no longer held.
            guard try await Position.find(try position.requireID(), on: db)?.status == .open else { return false }
            do {
                result = try await venue.placeOrder(request, credentials: credentials)
            } catch {
                app.logger.warning("Exit order for position \(position.id?.uuidString ?? "?") failed: \(error)")
                return false
            }
        }
        let exit = result.averagePrice ?? last ?? position.entryPrice
        if exchange == .dydx, !(venue is PaperVenue), let entrySignal = position.$signal.id,
            let client = app.venues.dydxClient
        {
            // The position is flat: the TP or SL left on the chain must not open a new one.
            do {
                try await client.cancelProtection(
                    entryClientOrderID: Self.clientOrderID(entrySignal), symbol: position.symbol,
                    credentials: credentials)
            } catch {
                app.logger.warning(
                    "Position \(position.id?.uuidString ?? "?"): cancelling its TP/SL failed: \(VenueFailureText.describe(error, exchange: .dydx, credentials: credentials, timeout: config.venueTimeoutSeconds, action: "cancel"))"
                )
            }
        }
        _ = try await PositionBook(app: app, db: db).close(
            positionID: try position.requireID(), exitPrice: exit, fees: position.fees + result.fees, reason: reason,
            userID: position.$user.id, notify: true)
        app.outboxWakeup?.signal()
        return true
    }
}

extension Application {
    private struct FaultKey: StorageKey {
        typealias Value = SignalExecution.Fault
    }

    /// Test hook between venue acceptance and the bookkeeping commit (nil in production).
    var executionFault: SignalExecution.Fault? {
        get { storage[FaultKey.self] }
        set { storage[FaultKey.self] = newValue }
    }
}
